"""Faults: the process killed while publishing, two runs at once, and an output folder that cannot be
written. In each, `latest` keeps pointing at a complete run. (Render no longer starts a browser; its
faults, such as missing fonts, are in test_render_faults.py.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from conftest import PROJECT, ROOT, latest_target as latest
from infopipe.cli import main
from infopipe.run.pipeline import Paths
from infopipe.run.provenance import verify_chain
from infopipe.run.publish import project_lock
from infopipe.review import verify

INFOPIPE = [sys.executable, "-m", "infopipe.cli"]


def staged(root: Path) -> list[Path]:
    return list((root / "outputs" / PROJECT / "runs").glob(".staging-*"))


KILL_IN_PUBLISH = textwrap.dedent("""
    import os, signal, sys
    from infopipe.run.pipeline import Paths, run

    def step(name, fn, *args, key=None, **kwargs):
        result = fn(*args, **kwargs)
        if name == "publish":  # files written into the staging folder, not yet moved into place
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    run(Paths.for_project("jam-and-justice", sys.argv[1]), step=step, force=True)
""")


def test_sigkill_during_publish_never_leaves_a_half_run_as_good(good_copy):
    before = latest(good_copy)
    done = subprocess.run([sys.executable, "-c", KILL_IN_PUBLISH, str(good_copy)], timeout=300)
    assert done.returncode == -signal.SIGKILL
    assert latest(good_copy) == before
    assert len(staged(good_copy)) == 1  # the half-written run, under a name nothing treats as a run
    _, problems = verify(Paths.for_project(PROJECT, good_copy))
    assert problems == []
    # the next run (here one that fails on bad input) clears the debris under the lock
    (good_copy / "data" / "raw" / PROJECT / "funders.csv").write_text("", encoding="utf-8")
    assert main(["--root", str(good_copy), "run"]) == 1
    assert staged(good_copy) == [] and latest(good_copy) == before


def test_two_runs_at_once_one_refuses_and_the_log_stays_valid(good_copy):
    before = latest(good_copy)
    first = subprocess.Popen([*INFOPIPE, "--root", str(good_copy), "run", "--force"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    lock = good_copy / "outputs" / PROJECT / ".lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and f"pid {first.pid}" not in lock.read_text():
        time.sleep(0.05)
    second = subprocess.run([*INFOPIPE, "--root", str(good_copy), "run"], capture_output=True, text=True,
                            timeout=300)
    out, _ = first.communicate(timeout=300)
    assert first.returncode == 0 and "Outputs:" in out
    assert second.returncode == 1
    assert second.stderr.startswith("lock failed") and "another run of this project is in progress" in second.stderr
    assert latest(good_copy) != before
    assert verify_chain(good_copy / "outputs" / PROJECT / "provenance.jsonl") == []


def test_second_run_can_wait_for_the_lock(good_copy):
    """A holder keeps the lock about a second; a waiter with --wait gets it after, not before."""
    out = good_copy / "outputs" / PROJECT
    held = threading.Event()

    def hold():
        with project_lock(out):
            held.set()
            time.sleep(1.2)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    began = time.monotonic()
    with project_lock(out, wait_seconds=30):
        waited = time.monotonic() - began
    holder.join()
    assert 0.5 < waited < 30


def as_other_user() -> list[str]:
    """Run as 'nobody' when root (root ignores file modes), else as ourselves."""
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []


def test_read_only_output_folder_is_a_clear_error(good_copy):
    out = good_copy / "outputs"
    before = latest(good_copy)
    for folder in [good_copy, *good_copy.rglob("*")]:
        if folder.is_dir() and not folder.is_symlink():
            folder.chmod(0o755)
    for path in [out, *out.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o555 if path.is_dir() else 0o444)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HOME": "/tmp"}
    try:
        done = subprocess.run([*as_other_user(), *INFOPIPE, "--root", str(good_copy), "run", PROJECT],
                              capture_output=True, text=True, timeout=300, env=env, cwd="/")
    finally:
        for path in [out, *out.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() else 0o644)
    if "setpriv" in done.stderr and done.returncode != 1:
        pytest.fail(f"could not switch user: {done.stderr}")
    assert done.returncode == 1, done.stderr
    assert "cannot write to the output folder" in done.stderr and "Permission denied" in done.stderr
    assert latest(good_copy) == before


def test_an_unreadable_raw_file_is_named_with_its_cause(tmp_path):
    """As another user (root ignores modes): a raw file without read permission is one clear line."""
    import shutil
    import tempfile

    from conftest import copy_project

    root = Path(tempfile.mkdtemp(prefix="infopipe-perm-"))  # a folder 'nobody' can walk into
    try:
        copy_project(root / "r")
        for folder in [root, *root.rglob("*")]:
            folder.chmod(0o755 if folder.is_dir() else 0o644)
        (root / "r" / "data" / "raw" / PROJECT / "funders.csv").chmod(0o000)
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HOME": "/tmp"}
        done = subprocess.run([*as_other_user(), *INFOPIPE, "--root", str(root / "r"), "validate", PROJECT],
                              capture_output=True, text=True, timeout=300, env=env, cwd="/")
        assert done.returncode == 1, done.stderr
        assert "funders.csv: [permission] cannot be read: permission denied" in done.stderr
        assert "Traceback" not in done.stderr
    finally:
        shutil.rmtree(root, ignore_errors=True)
