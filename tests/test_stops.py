"""A run stopped by a signal at any step, or by a full disk: a failed log entry, no staging folder,
`latest` where it was, one line on the screen and the conventional exit code, never a traceback."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import PROJECT, latest_target
from infopipe.cli import main

STOP_AT = textwrap.dedent("""
    import os, signal, sys
    from infopipe.run import pipeline
    from infopipe.cli import main

    plain = pipeline.call

    def call(name, fn, *args, key=None, **kwargs):
        if name == sys.argv[2]:
            os.kill(os.getpid(), getattr(signal, sys.argv[3]))
        return plain(name, fn, *args, key=key, **kwargs)

    pipeline.call = call
    sys.exit(main(["--root", sys.argv[1], "run", "--force"]))
""")


def log(root: Path) -> list[dict]:
    path = root / "outputs" / PROJECT / "provenance.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("step, name", [
    *((s, "SIGTERM") for s in ("spec", "validate", "compute", "render", "publish", "record")),
    ("render", "SIGINT"), ("compute", "SIGHUP"),
])
def test_a_signal_at_any_step_stops_the_run_cleanly(good_copy, step, name):
    before, entries = latest_target(good_copy), len(log(good_copy))
    done = subprocess.run([sys.executable, "-c", STOP_AT, str(good_copy), step, name],
                          capture_output=True, text=True, timeout=300)
    number = getattr(signal, name)
    assert done.returncode == 128 + number, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "logged as failed" in done.stderr
    last = log(good_copy)[-1]
    assert len(log(good_copy)) == entries + 1
    assert (last["status"], last["pipeline_step"]) == ("failed", step)
    assert latest_target(good_copy) == before
    assert not list((good_copy / "outputs" / PROJECT / "runs").glob(".staging-*"))


@pytest.fixture
def tiny_disk(tmp_path):
    """A 400 KB file system (tmpfs), mounted for the test; skipped where mounting is not allowed."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a small file system here (needs root)")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_is_named_as_such(project_root, tiny_disk, capsys):
    code = main(["--root", str(project_root), "run", PROJECT, "--out", str(tiny_disk)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "[disk-full] no space left on the device" in err, err
    assert str(tiny_disk) in err
    assert not list((tiny_disk / PROJECT / "runs").glob(".staging-*"))
    assert not (tiny_disk / PROJECT / "latest").exists()
