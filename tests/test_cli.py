"""The one command tree: how a project is named, exit codes, the commands other modules provide, the
flow file's entry point, the progress display, and the local server's bookkeeping (no server here)."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from conftest import PROJECT, ROOT
from infopipe import cli
from infopipe.run import prefect_server
from infopipe.run import progress
from infopipe.cli import main
from infopipe.errors import InfopipeError


# --- the project argument -------------------------------------------------------------------------

def test_the_only_project_is_the_default(project_root):
    assert cli.resolve_project(None, project_root) == PROJECT
    assert cli.resolve_project("other", project_root) == "other"


def test_with_two_projects_the_command_asks_which(project_root, capsys):
    (project_root / "projects" / "second").mkdir()
    (project_root / "projects" / "second" / "spec.yaml").write_text("project: second\n")
    assert main(["--root", str(project_root), "validate"]) == 1
    err = capsys.readouterr().err
    assert "[which-project] 2 projects (jam-and-justice, second); name one" in err
    assert "Traceback" not in err
    assert main(["--root", str(project_root), "validate", PROJECT]) == 0


def test_no_project_says_how_to_make_one(tmp_path, capsys):
    assert main(["--root", str(tmp_path), "run"]) == 1
    assert "infopipe new NAME" in capsys.readouterr().err


def test_root_may_follow_the_command(project_root, capsys):
    assert main(["validate", "--root", str(project_root)]) == 0
    assert "Valid:" in capsys.readouterr().out


def test_verify_takes_project_and_run_in_every_spelling(good_root, capsys):
    run_id = (good_root / "outputs" / PROJECT / "latest").resolve().name
    for argv in (["verify"], ["verify", PROJECT], ["verify", run_id], ["verify", PROJECT, run_id],
                 ["verify", run_id, "--project", PROJECT]):
        assert main(["--root", str(good_root), *argv]) == 0, argv
        assert f"OK: run {run_id}" in capsys.readouterr().out
    assert main(["--root", str(good_root), "verify", "no-such-run"]) == 1
    assert "[no-run] no complete run no-such-run" in capsys.readouterr().err


def test_explain_and_diff_accept_a_leading_project(good_root, capsys):
    assert main(["--root", str(good_root), "explain", "research_investment", "--json"]) == 0
    short = json.loads(capsys.readouterr().out)
    assert main(["--root", str(good_root), "explain", PROJECT, "research_investment", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == short and short["recount"] == 1000000
    run_id = short["run_id"]
    assert main(["--root", str(good_root), "diff", PROJECT, run_id, run_id]) == 0
    assert "no figure changed" in capsys.readouterr().out
    assert main(["--root", str(good_root), "diff", run_id]) == 1
    assert "expected [PROJECT] RUN_A RUN_B, got 1 arguments" in capsys.readouterr().err


# --- exit codes -----------------------------------------------------------------------------------

def test_a_bad_option_is_one_line_and_exit_1(capsys):
    assert main(["run", "--no-such-option"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "infopipe: Unknown option: --no-such-option."


def test_an_unexpected_error_exits_2_with_its_traceback_in_a_file(project_root, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("infopipe.run.pipeline.validate_only", broken)
    assert main(["--root", str(project_root), "validate"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "RuntimeError: boom" in err and "a bug in infopipe" in err
    written = Path(err.split("the details are in ")[1].strip())
    assert written.parent == project_root / "outputs" / ".errors"
    assert "Traceback" in written.read_text() and "RuntimeError: boom" in written.read_text()


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("run", "validate", "verify", "explain", "diff", "status", "schema", "new", "schedule",
                    "serve", "build-all", "server"):
        assert f" {command} " in out, command


# --- status, schema, new ------------------------------------------------------------------------

def test_schema_prints_the_spec_json_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"datasets", "figures", "theme", "page"} <= set(schema["properties"])


def test_new_project_validates_and_runs_as_scaffolded(tmp_path, capsys):
    assert main(["--root", str(tmp_path), "new", "fresh"]) == 0
    assert (tmp_path / "projects" / "fresh" / "spec.yaml").is_file()
    assert main(["--root", str(tmp_path), "validate", "fresh"]) == 0
    assert main(["--root", str(tmp_path), "run", "fresh"]) == 0
    figures = json.loads((tmp_path / "outputs" / "fresh" / "latest" / "figures.json").read_text())["figures"]
    kinds = {f["kind"] for f in figures}
    assert {"number", "sentence", "subcount", "breakdown", "part"} <= kinds
    assert all(f["claim_holds"] is not False for f in figures)
    assert main(["--root", str(tmp_path), "new", "fresh"]) == 1  # never overwrites
    assert "[exists]" in capsys.readouterr().err


def test_status_says_what_is_stale_and_why(good_copy, capsys):
    assert main(["--root", str(good_copy), "status", "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert before["up_to_date"] and not any(d["stale"] for d in before["datasets"] + before["figures"])
    raw = good_copy / "data" / "raw" / PROJECT / "funding_awards.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace(",1000000,", ",1100000,"), encoding="utf-8")
    assert main(["--root", str(good_copy), "status", "--json"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert not after["up_to_date"]
    assert [d["dataset"] for d in after["datasets"] if d["stale"]] == ["funding_awards"]
    assert [f["figure"] for f in after["figures"] if f["stale"]] == ["research_investment"]


# --- the flow file is the same command tree ------------------------------------------------------

def test_the_flow_file_is_infopipe_run_prefect():
    done = subprocess.run([sys.executable, str(ROOT / "flows" / "build_infographic.py"), "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Usage: infopipe run" in done.stdout and "--prefect" in done.stdout


# --- progress -------------------------------------------------------------------------------------

def terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, color_system=None, width=100), out


def test_progress_shows_each_step_and_passes_every_argument_through():
    console, out = terminal()
    seen = []

    def inner(name, fn, *args, **kwargs):
        seen.append((name, args, kwargs))
        return fn(*args)

    def long_step(n):
        for i in range(1, n + 1):
            progress.progress_callback(i, n)
        (bar,) = progress._active._progress.tasks
        assert (bar.description, bar.completed, bar.total) == ("render", n, n)
        return n

    with progress.Display(console) as display:
        hook = progress.wrap(inner)
        assert hook is not inner
        assert hook("render", long_step, 3, key="abc") == 3
        with pytest.raises(ZeroDivisionError):
            hook("compute", lambda: 1 / 0)
        assert display._progress is not None
    assert seen[0] == ("render", (3,), {"key": "abc"})
    text = out.getvalue()
    assert "✓ render" in text and "✗ compute" in text
    assert progress.wrap(inner) is inner  # closed: the hook is the plain one again


def test_progress_is_silent_off_a_terminal():
    out = io.StringIO()
    with progress.Display(Console(file=out, force_terminal=False)) as display:
        assert progress.wrap(progress_inner) is progress_inner
        progress.progress_callback(1, 2)  # nothing to update; no error
        display.message("hello")
    assert out.getvalue() == ""


def progress_inner(name, fn, *args, **kwargs):
    return fn(*args, **kwargs)


def test_summary_table_and_rows(tmp_path):
    (tmp_path / "figures.json").write_text(json.dumps({"figures": [
        {"id": "recruits", "printed": "15", "published": "15", "value": 15, "matches": True},
        {"id": "events", "printed": "40+", "published": "more than 40", "value": 38, "matches": False,
         "claim_kind": "more_than", "claim_holds": False},
    ]}))
    (tmp_path / "page.png").write_bytes(b"png")
    rows = progress.figure_rows(tmp_path)
    assert rows == [
        {"figure": "recruits", "printed": "15", "claim": "15", "computed": "15", "verdict": "holds"},
        {"figure": "events", "printed": "40+", "claim": "more than 40 (more_than)", "computed": "38",
         "verdict": "does not hold"},
    ]
    console, out = terminal()
    progress.Display(console).summary(tmp_path)
    text = out.getvalue()
    assert "2 figures" in text and "more than 40 (more_than)" in text and str(tmp_path / "page.png") in text


# --- the local server's bookkeeping (no server started) -------------------------------------------

def test_port_comes_from_prefect_port(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PREFECT_PORT", "4711")
    server = prefect_server.local_server(tmp_path)
    assert (server.port, server.home, server.url) == (4711, tmp_path / "home", "http://127.0.0.1:4711")
    monkeypatch.setenv("PREFECT_PORT", "http")
    with pytest.raises(InfopipeError, match="bad-port"):
        prefect_server.local_server(tmp_path)


def test_the_server_lives_in_the_checkouts_prefect_folder(monkeypatch):
    monkeypatch.delenv("PREFECT_HOME", raising=False)
    monkeypatch.delenv("PREFECT_PORT", raising=False)
    server = cli._local_server(None)
    assert (server.home, server.port, server.host) == (ROOT / ".prefect", 4200, "127.0.0.1")


def test_a_port_held_by_something_else_is_a_clear_error(tmp_path):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        server = prefect_server.Server(tmp_path, other.getsockname()[1])
        with pytest.raises(InfopipeError, match="port-in-use") as err:
            prefect_server.ensure(server, timeout=5)
    assert "PREFECT_PORT" in str(err.value)
    assert not server.pid_file.exists()


def test_stale_pid_file_is_cleared(tmp_path):
    server = prefect_server.Server(tmp_path, prefect_server.free_port())
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    server.pid_file.write_text(f"{dead.pid}\n")
    assert prefect_server.recorded_pid(server) is None and not server.pid_file.exists()
    assert prefect_server.stop(server) is False
    other = subprocess.Popen(["sleep", "30"])  # the pid now names another program: not ours to stop
    try:
        server.pid_file.write_text(f"{other.pid}\n")
        assert prefect_server.stop(server) is False and other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_a_server_that_dies_while_starting_is_reported_with_its_log(tmp_path, monkeypatch):
    server = prefect_server.Server(tmp_path, prefect_server.free_port())
    monkeypatch.setattr(prefect_server.sys, "executable", str(tmp_path / "no-python"))
    (tmp_path / "no-python").write_text("#!/bin/sh\necho 'database is locked' >&2\nexit 3\n")
    (tmp_path / "no-python").chmod(0o755)
    with pytest.raises(InfopipeError) as err:
        prefect_server.start(server, timeout=20)
    assert err.value.problems[0].check == "server-exited" and "database is locked" in str(err.value)
    assert not server.pid_file.exists()
