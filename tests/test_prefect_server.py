"""The Prefect path as analysts use it: a real server, a process work pool, a deployment from this
checkout's source, two workers, and runs of two projects plus two runs of one project at once.

Also the flow's pieces against the same server: the render task's retries and timeout, caching on
a step's content key, the failed log entry when a task fails, and refusal when the project's
concurrency slot is taken. Select these with `pytest -m prefect_server`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PROJECT, ROOT, copy_project, prefect_env
from infopipe.run import pipeline
from infopipe.run import prefect_server
from infopipe.errors import InfopipeError, Problem
from infopipe.run.pipeline import Paths
from infopipe.run.provenance import read_log, verify_chain
from infopipe.review import verify
from infopipe.spec.model import load_spec
from infopipe.run import work
from infopipe.run.steps import RENDER, STEPS

pytestmark = pytest.mark.prefect_server
SECOND = "second"
POOL = "infopipe-test"
DEADLINE = 420  # seconds for all three runs; they take about a minute on 2 cores


# --- helpers --------------------------------------------------------------------------------------

def flows_module():
    from infopipe.run import flow

    return flow


def with_second_project(root: Path) -> Path:
    """A root holding jam-and-justice and a copy of it named `second`."""
    shutil.copytree(root / "projects" / PROJECT, root / "projects" / SECOND)
    spec = root / "projects" / SECOND / "spec.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace(f"project: {PROJECT}", f"project: {SECOND}"),
                    encoding="utf-8")
    shutil.copytree(root / "data" / "raw" / PROJECT, root / "data" / "raw" / SECOND)
    return root


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop_all(procs: list[subprocess.Popen], grace: float = 5.0) -> None:
    """End each process's group and every descendant (flow runs may sit in groups of their own):
    SIGTERM, `grace` seconds for all of them together, then SIGKILL (a Prefect worker can take 15 s
    to wind down, and nothing is running by now)."""
    targets = [(p, descendants(p.pid)) for p in procs]

    def signal_all(sig: int) -> None:
        for proc, kids in targets:
            for send in (lambda: os.killpg(proc.pid, sig), *(lambda k=k: os.kill(k, sig) for k in kids)):
                try:
                    send()
                except (ProcessLookupError, PermissionError):
                    pass

    signal_all(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(p.poll() is None for p in procs):
        time.sleep(0.1)
    signal_all(signal.SIGKILL)
    for proc in procs:
        proc.wait(timeout=10)


def client_for(server):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    class Client:
        def __enter__(self):
            self.settings = temporary_settings(updates={PREFECT_API_URL: server.api_url})
            self.settings.__enter__()
            self.client = get_client(sync_client=True)
            return self.client.__enter__()

        def __exit__(self, *exc):
            self.client.__exit__(*exc)
            self.settings.__exit__(*exc)

    return Client()


def slot_intervals(client, run_ids: list) -> dict:
    """(held, released) per flow run, from the lines the flow logs around its concurrency slot."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    flows = flows_module()
    deadline = time.monotonic() + 60  # logs arrive in batches, shortly after the run's final state
    while True:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=run_ids)))
        marks: dict = {}
        for log in logs:
            for label, text in (("held", flows.SLOT_HELD), ("released", flows.SLOT_RELEASED)):
                if log.message.startswith(text):
                    marks.setdefault(log.flow_run_id, {})[label] = log.timestamp
        if all(len(marks.get(i, {})) == 2 for i in run_ids) or time.monotonic() > deadline:
            return {i: (marks[i]["held"], marks[i]["released"]) for i in run_ids}
        time.sleep(1)


def disjoint(a: tuple, b: tuple) -> bool:
    return a[1] <= b[0] or b[1] <= a[0]


def task_span(client, run_id) -> tuple:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    assert {t.name.rsplit("-", 1)[0] for t in tasks} == set(STEPS)  # one task per declared step
    return min(t.start_time for t in tasks), max(t.end_time for t in tasks)


def logged_runs(root: Path, project: str) -> list[dict]:
    return [json.loads(line) for line in read_log(root / "outputs" / project / "provenance.jsonl")]


# --- the server + worker path ---------------------------------------------------------------------

def test_deployment_on_two_workers_runs_each_project_one_at_a_time(prefect_api, tmp_path):
    root = with_second_project(copy_project(tmp_path / "root"))
    env = {**prefect_env(prefect_api), "PREFECT_WORKER_QUERY_SECONDS": "1"}
    for project in (PROJECT, SECOND):  # the user's command: creates the pool, deploys from this checkout
        done = subprocess.run([sys.executable, "-m", "infopipe.cli", "--root", str(root), "schedule", project,
                               "--pool", POOL], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        assert f"build-infographic/{project}" in done.stdout
    workers = []
    try:
        for n in (1, 2):
            log = open(tmp_path / f"worker{n}.log", "wb")
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--name", f"worker-{n}",
                 "--limit", "2"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                cwd=tmp_path))
        with client_for(prefect_api) as client:
            deployments = {p: client.read_deployment_by_name(f"build-infographic/{p}") for p in (PROJECT, SECOND)}
            # force: the second run of a project would otherwise find nothing changed and only log that
            runs = [client.create_flow_run_from_deployment(deployments[p].id, parameters={"force": True})
                    for p in (PROJECT, PROJECT, SECOND)]
            ids = [r.id for r in runs]
            deadline = time.monotonic() + DEADLINE

            def wait_for(done) -> dict:
                while True:
                    states = {r.id: client.read_flow_run(r.id) for r in runs}
                    if done(states) or time.monotonic() > deadline:
                        return states
                    time.sleep(1)

            # the limit is per project: while this test holds jam-and-justice's slot (as a long run would),
            # the other project's run goes through and both jam runs wait
            with flows_module().project_slot(PROJECT, None):
                states = wait_for(lambda s: s[ids[2]].state.is_final())
                assert states[ids[2]].state.is_completed(), (
                    states[ids[2]].state.name, *((tmp_path / f"worker{n}.log").read_text()[-3000:] for n in (1, 2)))
                assert not any(states[i].state.is_final() for i in ids[:2]), [states[i].state.name for i in ids[:2]]
            states = wait_for(lambda s: all(r.state.is_final() for r in s.values()))
            assert all(s.state.is_completed() for s in states.values()), (
                {str(i): s.state.name for i, s in states.items()},
                *((tmp_path / f"worker{n}.log").read_text()[-3000:] for n in (1, 2)))

            # never two runs of one project at once: Prefect's slot, the task runs, the project's log
            first, second = ids[0], ids[1]
            slots = slot_intervals(client, ids)
            assert disjoint(slots[first], slots[second]), slots
            assert disjoint(task_span(client, first), task_span(client, second))
            fr = {i: (states[i].start_time, states[i].end_time) for i in (first, second)}
            later = max((first, second), key=lambda i: slots[i][0])
            assert fr[later][1] > fr[({first, second} - {later}).pop()][1]  # it finished after, queued behind
            assert min(slots[first][0], slots[second][0]) > slots[ids[2]][1]  # jam waited for the test's hold

            entries = [e for e in logged_runs(root, PROJECT) if e["status"] == "succeeded"]
            assert len(entries) == 2
            spans = [(dt.datetime.fromisoformat(e["started_at"]), dt.datetime.fromisoformat(e["finished_at"]))
                     for e in entries]
            assert disjoint(*spans)
            assert len([e for e in logged_runs(root, SECOND) if e["status"] == "succeeded"]) == 1

            # outputs and the log chain hold, for every run
            for project, entries in ((PROJECT, entries), (SECOND, logged_runs(root, SECOND))):
                paths = Paths.for_project(project, root)
                assert verify_chain(paths.log_file) == []
                for entry in entries:
                    _, problems = verify(paths, entry["run_id"])
                    assert problems == [], problems

            # artifacts, keyed per project, one version per run
            from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

            def versions(key):  # of this test's runs (the session's server also holds other tests' runs)
                found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
                return [a for a in found if a.flow_run_id in ids]

            assert len(versions(f"infopipe-{PROJECT}-figures")) == 2
            assert len(versions(f"infopipe-{PROJECT}-run")) == 2
            table = json.loads(versions(f"infopipe-{SECOND}-figures")[0].data)
            assert [row["verdict"] for row in table] == ["holds"] * 8
            assert {"figure", "printed", "claim", "computed", "verdict"} == set(table[0])
            assert {row["figure"]: row["printed"] for row in table}["research_investment"] == "£1m"
            note = versions(f"infopipe-{SECOND}-run")[0].data
            latest = (root / "outputs" / SECOND / "latest").resolve()
            assert str(latest / "page.png") in note and str(latest / "report.html") in note
            assert f"verify {SECOND} {latest.name}" in note
    finally:
        stop_all(workers)
    assert all(w.poll() is not None for w in workers)


def test_build_all_runs_every_project_as_subflows(prefect_api, tmp_path):
    root = with_second_project(copy_project(tmp_path / "root"))
    done = subprocess.run([sys.executable, "-m", "infopipe.cli", "--root", str(root), "build-all", "--prefect",
                           "--parallel", "2"], env=prefect_env(prefect_api), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    for project in (PROJECT, SECOND):
        latest = (root / "outputs" / project / "latest").resolve()
        assert f"Outputs: {latest}" in done.stdout
        assert verify(Paths.for_project(project, root))[1] == []
    with client_for(prefect_api) as client:
        from prefect.client.schemas.filters import (FlowFilter, FlowFilterName, FlowRunFilter,
                                                    FlowRunFilterParentFlowRunId)

        (parent,) = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["build-all"])))
        assert parent.state.is_completed()
        children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent.id])))
        assert sorted(c.name for c in children) == [PROJECT, SECOND]
        assert all(c.state.is_completed() for c in children)


def test_serve_runs_a_triggered_build_on_this_machine(prefect_api, project_root, tmp_path):
    """The single-machine path: `infopipe serve` (no pool, no worker) runs what the server schedules."""
    env = {**prefect_env(prefect_api), "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    log = open(tmp_path / "serve.log", "wb")
    served = subprocess.Popen([sys.executable, "-m", "infopipe.cli", "--root", str(project_root), "serve",
                               "--name", "served-test"], env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        with client_for(prefect_api) as client:
            from prefect.exceptions import ObjectNotFound

            deadline = time.monotonic() + 120
            while True:
                try:
                    deployment = client.read_deployment_by_name("build-infographic/served-test")
                    break
                except ObjectNotFound:
                    assert served.poll() is None and time.monotonic() < deadline, (
                        (tmp_path / "serve.log").read_text()[-3000:])
                    time.sleep(0.5)
            assert deployment.parameters == {"project": PROJECT, "root": str(project_root.resolve())}
            run = client.create_flow_run_from_deployment(deployment.id)
            while not (state := client.read_flow_run(run.id).state).is_final():
                assert time.monotonic() < deadline + 240, (tmp_path / "serve.log").read_text()[-3000:]
                time.sleep(1)
            assert state.is_completed(), (tmp_path / "serve.log").read_text()[-3000:]
        assert verify(Paths.for_project(PROJECT, project_root))[1] == []
    finally:
        stop_all([served])


def test_an_installed_copy_runs_the_flow(prefect_api, project_root, tmp_path):
    """`pip install .` (not editable) into a fresh virtualenv, then `infopipe run --prefect` from
    outside any checkout: the flow is part of the package, nothing is loaded from flows/ or src/."""
    import sysconfig

    source = tmp_path / "source"  # a copy, so the build writes nothing into this checkout
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", source)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--no-deps", str(source)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # this venv's packages
    env = {k: v for k, v in prefect_env(prefect_api).items() if k != "PYTHONPATH"}
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import infopipe.run.flow as f; print(f.__file__)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert Path(where.stdout.strip()).is_relative_to(site), where.stderr[-2000:]
    done = subprocess.run([str(venv / "bin" / "infopipe"), "--root", str(project_root), "run", PROJECT, "--prefect"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    folder = Path(done.stdout.split("Outputs: ")[1].split()[0])
    assert (project_root / "outputs" / PROJECT / "latest").resolve() == folder
    assert verify(Paths.for_project(PROJECT, project_root))[1] == []


# --- the flow's pieces, in this process, against the same server ---------------------------------

@pytest.fixture
def flows(prefect_api):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    with temporary_settings(updates={PREFECT_API_URL: prefect_api.api_url}):
        yield flows_module()
        for worker in (APILogWorker, EventsWorker):  # send what is queued while the server is still up
            worker.drain_all(timeout=10)


def test_render_retries_what_the_browser_broke_but_not_bad_input(flows, tmp_path):
    from prefect import flow

    calls = []

    def render(fail_with):
        calls.append(fail_with)
        if len(calls) == 1 and fail_with:
            raise InfopipeError("render", [Problem("render", fail_with, "it broke")])
        return "drawn"

    @flow
    def attempt(fail_with: str):
        return flows.task_hook(tmp_path)("render", render, fail_with)

    assert attempt("render-timeout") == "drawn" and len(calls) == 2  # retried once
    calls.clear()
    with pytest.raises(InfopipeError, match="render failed"):
        attempt("font-missing")
    assert len(calls) == 1  # a missing font: retrying cannot help


def test_render_task_is_stopped_by_its_timeout(flows, tmp_path, monkeypatch):
    from prefect import flow

    impatient = {**STEPS, RENDER.name: dataclasses.replace(RENDER, timeout=1.0, retries=0)}
    began = time.monotonic()

    def render(seconds):
        time.sleep(seconds)

    @flow
    def hangs():
        return flows.task_hook(tmp_path, impatient)("render", render, 30)

    with pytest.raises(TimeoutError):
        hangs()
    assert time.monotonic() - began < 25


def test_a_step_with_a_content_key_is_cached_on_it(flows, tmp_path):
    from prefect import flow

    calls = []

    def compute(x):
        calls.append(x)
        return x * 2

    @flow
    def twice(key: str):
        hook = flows.task_hook(tmp_path)
        return [hook("compute", compute, 21, key=key), hook("compute", compute, 21, key=key),
                hook("compute", compute, 21)]

    assert twice("k1") == [42, 42, 42]
    assert calls == [21, 21]  # the second keyed call reused the first; the unkeyed one ran
    assert twice("k1") == [42, 42, 42] and calls == [21, 21, 21]  # a later flow run reuses it too
    assert twice("k2") == [42, 42, 42] and len(calls) == 5  # a new key redoes the step
    assert any((tmp_path / ".prefect" / "results").iterdir())  # persisted under the project root


def test_a_failed_task_leaves_a_failed_log_entry_and_a_failure_artifact(flows, project_root, monkeypatch,
                                                                        prefect_api):
    def broken(*args, **kwargs):
        raise InfopipeError("render", [Problem("fontconfig", "font-missing", "no font here")])

    monkeypatch.setitem(work.WORK, RENDER.name, broken)
    with pytest.raises(InfopipeError, match="render failed"):
        flows.build_infographic(PROJECT, root=str(project_root))
    last = logged_runs(project_root, PROJECT)[-1]
    assert last["status"] == "failed" and last["failed_step"] == "render"
    assert not (project_root / "outputs" / PROJECT / "latest").exists()
    with client_for(prefect_api) as client:
        note = client.read_latest_artifacts()
        failed = [a for a in note if a.key == f"infopipe-{PROJECT}-run"]
        assert failed and "run failed" in failed[0].data and "font-missing" in failed[0].data


def test_make_clean_between_flow_runs_redoes_the_typed_tables(flows, project_root):
    """A cached validate task never points at deleted Parquet files: its cache key is offered only
    while the plan sees every typed table on disk (the bug: `make clean`, then `make run` failed in
    compute with FileNotFoundError)."""
    processed, outputs = project_root / "data" / "processed", project_root / "outputs"
    flows.build_infographic(PROJECT, root=str(project_root))  # cold: tables made, nothing cached
    shutil.rmtree(outputs)
    flows.build_infographic(PROJECT, root=str(project_root))  # tables on disk: validate cached on their keys
    assert any((project_root / ".prefect" / "results").iterdir())
    shutil.rmtree(processed), shutil.rmtree(outputs)  # make clean
    folder = Path(flows.build_infographic(PROJECT, root=str(project_root)))
    assert len(list((processed / PROJECT).glob("*.parquet"))) == len(load_spec(
        project_root / "projects" / PROJECT / "spec.yaml").datasets)
    record = json.loads((folder / "provenance.json").read_text())
    assert record["redone"]["datasets"] and all(p["redone"] for p in record["processed"])
    assert verify(Paths.for_project(PROJECT, project_root))[1] == []


def test_a_second_run_refuses_while_the_projects_slot_is_taken(flows, project_root):
    from prefect.concurrency.sync import concurrency

    flows.ensure_limit(flows.limit_name(PROJECT))
    with concurrency(flows.limit_name(PROJECT), occupy=1, strict=True):
        with pytest.raises(InfopipeError) as err:
            flows.build_infographic(PROJECT, root=str(project_root), wait=0)
    assert err.value.problems[0].check == "locked"
    assert not (project_root / "outputs" / PROJECT / "provenance.jsonl").exists()  # nothing ran


def test_artifact_keys_are_what_prefect_accepts(flows):
    assert flows.artifact_key("jam-and-justice", "figures") == "infopipe-jam-and-justice-figures"
    assert flows.artifact_key("Big_Report_2024", "run") == "infopipe-big-report-2024-run"


def test_server_status_reuse_and_stop(prefect_api):
    """`ensure` reuses a running server; `stop` ends only what this home started."""
    assert prefect_server.healthy(prefect_api)
    assert prefect_server.ensure(prefect_api) == "running"
    info = prefect_server.status(prefect_api)
    assert info["healthy"] and info["pid"] == int(prefect_api.pid_file.read_text())
    other = prefect_server.Server(prefect_api.home.parent / "not-started", prefect_api.port)
    assert prefect_server.stop(other) is False and prefect_server.healthy(prefect_api)


def test_a_server_another_checkout_started_is_not_adopted(prefect_api, capsys, monkeypatch):
    """`make run` from a second checkout, on the port the first one's server holds: refused, naming
    PREFECT_PORT, never adopted; `server status` does not call it this checkout's."""
    from infopipe.cli import main

    elsewhere = prefect_api.home.parent / "second-checkout"
    with pytest.raises(InfopipeError) as caught:
        prefect_server.ensure(prefect_server.Server(elsewhere, prefect_api.port))
    problem = caught.value.problems[0]
    assert problem.check == "server-not-ours" and "PREFECT_PORT" in problem.message
    assert not (elsewhere / "server.pid").exists()  # nothing started, nothing recorded
    monkeypatch.setenv("PREFECT_HOME", str(elsewhere))
    monkeypatch.setenv("PREFECT_PORT", str(prefect_api.port))
    assert main(["server", "status"]) == 1
    assert "answering, but not started by this checkout" in capsys.readouterr().out
    assert prefect_server.ensure(prefect_api) == "running"  # the checkout that started it reuses it


def test_the_ui_calls_the_api_on_the_servers_own_port(prefect_api):
    """The UI in the browser asks /ui-settings where the API is; Prefect's default says port 4200."""
    import urllib.request

    with urllib.request.urlopen(f"{prefect_api.url}/ui-settings", timeout=10) as reply:
        assert json.loads(reply.read())["api_url"] == prefect_api.api_url
    with urllib.request.urlopen(prefect_api.url, timeout=10) as reply:
        assert b"<!DOCTYPE html>" in reply.read(200)


class Receiver:
    """A webhook receiver on 127.0.0.1: records every POST body it gets."""

    def __init__(self):
        import http.server
        import threading

        bodies = self.bodies = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                bodies.append(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_a_failed_scheduled_run_calls_the_webhook_and_logs_its_problems(prefect_api, tmp_path):
    """`schedule --notify URL` on a real server; the printed worker command run from a fresh shell
    (no venv on PATH); a run whose data is bad fails; the automation POSTs to the receiver; the
    run's log says the located problems, with no traceback."""
    root = copy_project(tmp_path / "root")
    receiver = Receiver()
    env = prefect_env(prefect_api)
    done = subprocess.run([sys.executable, "-m", "infopipe.cli", "--root", str(root), "schedule", PROJECT,
                           "--pool", "infopipe-notify", "--notify", receiver.url],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Failed runs POST to {receiver.url}" in done.stdout
    start = next(line for line in done.stdout.splitlines() if line.startswith("Start a worker:"))
    command = start.removeprefix("Start a worker:").strip()
    assert command.startswith(f"cd {ROOT} && PREFECT_API_URL={prefect_api.api_url} /")  # an absolute prefect
    assert command.endswith(" worker start --pool infopipe-notify")
    raw = root / "data" / "raw" / PROJECT / "events.csv"
    raw.write_bytes((Path(__file__).parent / "bad_inputs" / "19-future-date" / "raw" / "events.csv").read_bytes())
    fresh = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DO_NOT_TRACK": "1", "COLUMNS": "300",
             "PREFECT_WORKER_QUERY_SECONDS": "1"}
    log = open(tmp_path / "worker.log", "wb")
    worker = subprocess.Popen(["bash", "-c", command], env=fresh,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with client_for(prefect_api) as client:
            deployment = client.read_deployment_by_name(f"build-infographic/{PROJECT}")
            run_ = client.create_flow_run_from_deployment(deployment.id)
            deadline = time.monotonic() + 240
            while (not client.read_flow_run(run_.id).state.is_final() and time.monotonic() < deadline
                   and worker.poll() is None):
                time.sleep(1)
            state = client.read_flow_run(run_.id).state
            assert state.is_failed(), (state, (tmp_path / "worker.log").read_text()[-6000:])
            while not receiver.bodies and time.monotonic() < deadline:
                time.sleep(1)
            assert len(receiver.bodies) == 1, "the automation did not call the webhook"
            note = json.loads(receiver.bodies[0])
            assert note["flow_run_id"] == str(run_.id) and note["state"] == "Failed"
            assert note["deployment"] == PROJECT and "validate failed" in note["message"]
            from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

            logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_.id])))
            text = "\n".join(entry.message for entry in logs)
            assert "[future-date]" in text or "future" in text, text[-2000:]
            assert "events.csv, row" in text and "Traceback" not in text, text[-3000:]
    finally:
        stop_all([worker])
        receiver.close()


def test_artifacts_link_the_outputs_and_an_up_to_date_run_says_so(flows, project_root, prefect_api):
    first = Path(flows.build_infographic(PROJECT, root=str(project_root)))
    again = Path(flows.build_infographic(PROJECT, root=str(project_root)))  # nothing changed
    assert again == first
    with client_for(prefect_api) as client:
        latest = {a.key: a for a in client.read_latest_artifacts() if a.key and PROJECT in a.key}
    assert latest[f"infopipe-{PROJECT}-review"].data.endswith(f"({(first / 'report.html').as_uri()})")
    assert latest[f"infopipe-{PROJECT}-gallery"].data.endswith(f"({(first / 'index.html').as_uri()})")
    note = latest[f"infopipe-{PROJECT}-run"].data
    assert "**Up to date**: nothing changed since this run" in note and first.name in note
    assert "every claim holds" in note
