"""`server stop` ends only the server this checkout started, recognised by its command line, its
PREFECT_HOME and its start time, never by a name; and a PREFECT_API_URL that does not answer is one
clear error. Stand-in processes play the server here (each in a session of its own, as the real one
is); test_prefect_server.py stops the real one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infopipe.cli import main
from infopipe.run import prefect_server

PRETEND = [sys.executable, "-c", "import time; time.sleep(120)", "prefect", "server", "start"]


@pytest.fixture
def stand_in(tmp_path):
    """Start a process that looks like a Prefect server (its arguments say so) with a given home."""
    procs = []

    def start(home: Path) -> subprocess.Popen:
        proc = subprocess.Popen(PRETEND, env={**os.environ, "PREFECT_HOME": str(home)},
                                start_new_session=True)
        procs.append(proc)
        deadline = time.monotonic() + 10
        while (prefect_server.identity(proc.pid) or {}).get("cmdline") != PRETEND and time.monotonic() < deadline:
            time.sleep(0.02)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def server_for(home: Path, pid: int, identity: dict | None) -> prefect_server.Server:
    server = prefect_server.Server(home, prefect_server.free_port())
    home.mkdir(parents=True, exist_ok=True)
    server.pid_file.write_text(f"{pid}\n")
    if identity is not None:
        server.identity_file.write_text(json.dumps(identity))
    return server


def test_stop_ends_the_server_this_home_started(tmp_path, stand_in):
    home = tmp_path / "home"
    proc = stand_in(home)
    server = server_for(home, proc.pid, prefect_server.identity(proc.pid))
    assert prefect_server.stop(server, grace=5) is True
    assert proc.wait(10) is not None
    assert not server.pid_file.exists() and not server.identity_file.exists()


@pytest.mark.parametrize("differs", ["start time", "home", "command line", "no record"])
def test_stop_leaves_any_other_process_alone(tmp_path, stand_in, differs):
    """A pid file naming a live process that is not the one recorded: the pid was reused, or the
    server belongs to another checkout (same command, other PREFECT_HOME)."""
    home, other_home = tmp_path / "home", tmp_path / "other-checkout"
    proc = stand_in(other_home if differs == "home" else home)
    recorded = prefect_server.identity(proc.pid)
    if differs == "start time":
        recorded["started"] = str(int(recorded["started"]) - 1)
    elif differs == "home":
        recorded["prefect_home"] = str(home)
    elif differs == "command line":
        recorded["cmdline"] = [sys.executable, "-m", "prefect", "server", "start"]
    server = server_for(home, proc.pid, None if differs == "no record" else recorded)
    assert prefect_server.stop(server, grace=1) is False
    time.sleep(0.2)
    assert proc.poll() is None  # still running
    assert not server.pid_file.exists()  # the stale record is gone


def test_stop_never_signals_the_callers_own_process_group(tmp_path):
    """Even a record that matches this very process (a pid file pointing at the caller) is not a
    group the server leads, so nothing is sent."""
    home = tmp_path / "home"
    server = server_for(home, os.getpid(), None)
    server.identity_file.write_text(json.dumps(prefect_server.identity(os.getpid()) | {"prefect_home": str(home)}))
    prefect_server._kill_group(os.getpid(), grace=0.1)  # returns: this process leads no group of its own
    # reaching this line is the assertion: had it signalled the group, pytest itself would be gone


def test_cli_stop_says_no_server_when_the_pid_is_someone_elses(tmp_path, stand_in, capsys, monkeypatch):
    home = tmp_path / "home"
    proc = stand_in(tmp_path / "elsewhere")
    server_for(home, proc.pid, None)
    monkeypatch.setenv("PREFECT_HOME", str(home))
    assert main(["server", "stop"]) == 0
    assert f"No Prefect server started from {home}" in capsys.readouterr().out
    assert proc.poll() is None


def test_a_prefect_api_url_that_does_not_answer_is_one_clear_error(project_root, monkeypatch, capsys):
    port = prefect_server.free_port()
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{port}/api")
    code = main(["--root", str(project_root), "run", "jam-and-justice", "--prefect"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.splitlines()[0] == f"server failed: 1 problem in http://127.0.0.1:{port}/api"
    assert "[api-unreachable] PREFECT_API_URL does not answer" in err and "Traceback" not in err
    assert not (project_root / "outputs" / "jam-and-justice" / "runs").exists()  # nothing was built
