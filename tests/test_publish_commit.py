"""Publishing is one commit: a process killed at any line of publishing leaves the old state or the
new one whole, and the next run finishes or undoes it. The kills come from a line tracer in a child
process (the fault-injection hook lives here, in the test, not in the product)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import PROJECT, ROOT, latest_target
from infopipe.run import pipeline
from infopipe.run.pipeline import Paths, run
from infopipe.run.provenance import scan_log
from infopipe.review import verify

KILL_AT_LINE = textwrap.dedent("""
    import json, os, signal, sys
    from pathlib import Path
    from infopipe.run import provenance, publish

    staging, out, number = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    entry = json.loads(sys.argv[4])
    watched = {f.__code__ for f in (publish.commit_run, publish.point_latest, provenance.append_log)}
    seen = 0

    def line(frame, event, arg):
        global seen
        if event == "line":
            seen += 1
            if seen == number:
                os.kill(os.getpid(), signal.SIGKILL)
        return line

    def call(frame, event, arg):
        return line if frame.f_code in watched else None

    with publish.project_lock(out, 0, entry["run_id"]):
        sys.settrace(call)
        publish.commit_run(staging, out, entry["run_id"], out / "provenance.jsonl", lambda folder: entry)
        sys.settrace(None)
    print("lines", seen)
""")


@pytest.fixture(scope="module")
def staged_run(good_root, tmp_path_factory) -> Path:
    """A complete staged run of the shipped data (forced), kept aside just before its commit."""
    keep = tmp_path_factory.mktemp("staged") / "run"
    root = tmp_path_factory.mktemp("stager") / "root"
    shutil.copytree(good_root, root, symlinks=True)
    real = pipeline.commit_run

    def keep_then_commit(staging, *args, **kwargs):
        shutil.copytree(staging, keep, symlinks=True)
        return real(staging, *args, **kwargs)

    pipeline.commit_run = keep_then_commit
    try:
        run(Paths.for_project(PROJECT, root), force=True)
    finally:
        pipeline.commit_run = real
    return keep


def entries(root: Path) -> list[dict]:
    lines, problems = scan_log(root / "outputs" / PROJECT / "provenance.jsonl")
    assert problems == []
    return [line.entry for line in lines]


def kill_at(root: Path, staged: Path, number: int) -> subprocess.CompletedProcess:
    """Commit the staged run into `root` in a child process killed at the `number`th line it runs."""
    out = root / "outputs" / PROJECT
    record = json.loads((staged / "provenance.json").read_text(encoding="utf-8"))
    staging = out / "runs" / f".staging-{record['run_id']}"
    shutil.copytree(staged, staging, symlinks=True)
    entry = pipeline.log_entry(record, staged) | {"run_folder": str(out / "runs" / record["run_id"])}
    return subprocess.run([sys.executable, "-c", KILL_AT_LINE, str(staging), str(out), str(number),
                           json.dumps(entry)], capture_output=True, text=True, timeout=60)


def test_a_kill_at_any_line_of_publishing_leaves_one_whole_state(good_root, staged_run, tmp_path):
    new_id = json.loads((staged_run / "provenance.json").read_text())["run_id"]
    old = latest_target(good_root)
    number, outcomes = 0, []
    while True:
        number += 1
        root = tmp_path / f"kill-{number}"
        shutil.copytree(good_root, root, symlinks=True)
        done = kill_at(root, staged_run, number)
        paths = Paths.for_project(PROJECT, root)
        if done.returncode == 0:  # ran to the end: every line was a kill point
            assert number > 10 and latest_target(root) == f"runs/{new_id}", done.stdout
            break
        assert done.returncode == -signal.SIGKILL, done.stderr
        # what a concurrent reader sees at that instant: a whole run with its entry, old or new
        assert latest_target(root) in (old, f"runs/{new_id}")
        _, problems = verify(paths)
        assert problems == [], (number, problems)
        committed = any(e["run_id"] == new_id and e["status"] == "succeeded" for e in entries(root))
        # the next run finishes the commit (rolls `latest` forward) or undoes it and logs the crash
        run(paths)
        logged = [e for e in entries(root) if e["run_id"] == new_id]
        if committed:
            assert [e["status"] for e in logged] == ["succeeded"]
            assert latest_target(root) == f"runs/{new_id}"
        else:
            assert [(e["status"], e["failed_step"]) for e in logged] == [("failed", "crashed")]
            assert "was killed" in logged[0]["error"]
            assert latest_target(root) == old and not (root / "outputs" / PROJECT / "runs" / new_id).exists()
        assert entries(root)[-1]["status"] == "up-to-date"  # nothing rebuilt: the inputs did not change
        assert not list((root / "outputs" / PROJECT / "runs").glob(".staging-*"))
        _, problems = verify(paths)
        assert problems == [], (number, problems)
        outcomes.append(committed)
        shutil.rmtree(root)
    assert False in outcomes and True in outcomes  # both sides of the commit point were hit


def test_a_short_write_to_the_log_is_cut_back_and_nothing_is_published(good_copy, monkeypatch, capsys):
    """A disk that fills in the middle of the entry: the half line is removed, `latest` stays."""
    import errno

    from infopipe.cli import main
    from infopipe.run import provenance

    before, count = latest_target(good_copy), len(entries(good_copy))
    real_write = os.write

    def half_then_full(fd, data):
        if b'"status":"succeeded"' in data:
            real_write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(provenance.os, "write", half_then_full)
    assert main(["--root", str(good_copy), "run", PROJECT, "--force"]) == 1
    assert "[disk-full]" in capsys.readouterr().err
    assert latest_target(good_copy) == before
    log = entries(good_copy)  # whole lines only: the failed entry after the removed half line
    assert len(log) == count + 1 and log[-1]["status"] == "failed"
    runs = good_copy / "outputs" / PROJECT / "runs"
    assert sorted(p.name for p in runs.iterdir()) == [before.split("/")[-1]]
    _, problems = verify(Paths.for_project(PROJECT, good_copy))
    assert problems == []


def test_a_run_with_no_log_entry_never_counts_as_current(good_copy, capsys):
    """`latest` on a run whose entry is missing (an older infopipe moved it first): rebuilt, not
    called up to date."""
    from infopipe.cli import main

    log = good_copy / "outputs" / PROJECT / "provenance.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(lines[:-1]), encoding="utf-8")  # the chain before it stays whole
    before = latest_target(good_copy)
    assert main(["--root", str(good_copy), "run", PROJECT]) == 0
    assert latest_target(good_copy) != before
    assert entries(good_copy)[-1]["status"] == "succeeded"
    assert main(["--root", str(good_copy), "verify", PROJECT]) == 0


@pytest.mark.parametrize("kind", ["folder", "file"])
def test_latest_that_is_not_a_link_is_refused_before_building(good_copy, kind, capsys):
    from infopipe.cli import main

    out = good_copy / "outputs" / PROJECT
    target = (out / "latest").resolve()
    (out / "latest").unlink()
    if kind == "folder":
        shutil.copytree(target, out / "latest")
    else:
        (out / "latest").write_text("my notes\n", encoding="utf-8")
    kept = sorted(p.name for p in (out / "runs").iterdir())
    assert main(["--root", str(good_copy), "run", PROJECT, "--force"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("publish failed:") and f"{out / 'latest'}: [latest-not-link] `latest` is a {kind}" in err
    assert sorted(p.name for p in (out / "runs").iterdir()) == kept  # nothing built
    assert (out / "latest").is_dir() if kind == "folder" else (out / "latest").read_text() == "my notes\n"
    assert entries(good_copy)[-1]["status"] == "failed"


def test_a_read_only_log_is_refused_before_building(good_root):
    """As another user (root ignores modes): the log cannot take an entry, so nothing is built."""
    import tempfile

    from test_faults import INFOPIPE, as_other_user

    root = Path(tempfile.mkdtemp(prefix="infopipe-rolog-")) / "r"  # a folder 'nobody' can walk into
    try:
        shutil.copytree(good_root, root, symlinks=True)
        for path in [root.parent, root, *root.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o777 if path.is_dir() else 0o666)
        log = root / "outputs" / PROJECT / "provenance.jsonl"
        log.chmod(0o444)
        before = log.read_bytes()
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HOME": "/tmp"}
        done = subprocess.run([*as_other_user(), *INFOPIPE, "--root", str(root), "run", PROJECT, "--force"],
                              capture_output=True, text=True, timeout=300, env=env, cwd="/")
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith("log failed:") and f"{log}: [permission] permission denied" in done.stderr
        assert log.read_bytes() == before
        assert len(list((root / "outputs" / PROJECT / "runs").iterdir())) == 1
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


def test_a_killed_run_is_logged_even_after_a_no_change_check(good_copy):
    """The lock file still names a run whose process died; the quick no-change check that the Prefect
    path makes first puts that back, and the next full run logs the dead run as crashed."""
    from infopipe.run.pipeline import up_to_date

    out = good_copy / "outputs" / PROJECT
    (out / ".lock").write_text("pid 999999 run 20260101T000000Z-dead00 started 2026-01-01T00:00:00+00:00")
    paths = Paths.for_project(PROJECT, good_copy)
    assert up_to_date(paths) is not None  # nothing changed: it logs `up-to-date`
    assert "run 20260101T000000Z-dead00" in (out / ".lock").read_text()
    run(paths)
    dead = [e for e in entries(good_copy) if e["run_id"] == "20260101T000000Z-dead00"]
    assert [(e["status"], e["failed_step"]) for e in dead] == [("failed", "crashed")]
    assert "process 999999 was killed" in dead[0]["error"]
    assert (out / ".lock").read_text() == ""


def test_every_file_then_every_folder_is_flushed_before_the_commit(tmp_path, monkeypatch):
    """The run's files are flushed several at a time, each once; then each folder after everything in it,
    the run's folder last; a symbolic link is not followed to a file outside."""
    import threading
    import time

    from infopipe.run import publish

    run_folder = tmp_path / "run"
    for i in range(60):
        (run_folder / "panels" / f"{i:02d}").mkdir(parents=True)
        (run_folder / "panels" / f"{i:02d}" / "a.png").write_bytes(b"x")
    (run_folder / "page.svg").write_text("<svg/>")
    (tmp_path / "elsewhere.txt").write_text("not the run's")
    (run_folder / "link.txt").symlink_to(tmp_path / "elsewhere.txt")
    flushed, threads = [], set()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        time.sleep(0.002)  # a disk's wait, so the flushes overlap
        flushed.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        if flushed[-1].is_file():
            threads.add(threading.get_ident())
        real_fsync(fd)

    monkeypatch.setattr(publish.os, "fsync", fsync)
    publish._sync_tree(run_folder)
    files = {p for p in run_folder.rglob("*") if p.is_file() and not p.is_symlink()}
    folders = {p for p in run_folder.rglob("*") if p.is_dir()} | {run_folder}
    assert sorted(flushed) == sorted(files | folders)  # each once, nothing outside
    assert flushed[-1] == run_folder
    for folder in folders:
        assert all(flushed.index(p) < flushed.index(folder) for p in files | folders if folder in p.parents)
    assert len(threads) > 1  # the files by more than one thread at once
