"""Prefect at scale on a real database: the server on PostgreSQL (a throwaway cluster, tests/postgres.py)
with three workers. Runs of three projects and two runs of one project at once never overlap; a
worker killed (SIGKILL, its whole process tree, as a machine that dies) in the middle of a run frees
the project's slot when its lease runs out, the killed run gets a `failed` entry from the next run,
and that run succeeds and verifies; the server restarted in the middle of a run loses nothing.
Timings are printed (pytest -s) and recorded in README. Select with `pytest -m postgres`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PROJECT, copy_project, prefect_env
from infopipe.review import verify
from infopipe.run import prefect_server
from infopipe.run.pipeline import Paths
from infopipe.run.provenance import verify_chain
from test_prefect_server import (client_for, descendants, disjoint, logged_runs, slot_intervals, stop_all,
                                 with_second_project)

pytestmark = [pytest.mark.postgres, pytest.mark.prefect_server]
POOL = "infopipe-pg"
THIRD = "third"
LEASE = 60  # seconds a dead run's slot stays taken (INFOPIPE_SLOT_LEASE_SECONDS; Prefect's least)
DEADLINE = 420


def with_third_project(root: Path) -> Path:
    shutil.copytree(root / "projects" / PROJECT, root / "projects" / THIRD)
    spec = root / "projects" / THIRD / "spec.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace(f"project: {PROJECT}", f"project: {THIRD}"),
                    encoding="utf-8")
    shutil.copytree(root / "data" / "raw" / PROJECT, root / "data" / "raw" / THIRD)
    return root


def wait_final(client, run_ids: list, seconds: float = DEADLINE) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        runs = {i: client.read_flow_run(i) for i in run_ids}
        if all(r.state.is_final() for r in runs.values()) or time.monotonic() > deadline:
            return runs
        time.sleep(1)


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def holder(root: Path, project: str) -> str:
    """What the project's lock file says: the pid and run id of a run in progress, else ''."""
    lock = root / "outputs" / project / ".lock"
    return lock.read_text().strip() if lock.exists() else ""


def all_verify(root: Path, projects: tuple[str, ...]) -> None:
    for project in projects:
        paths = Paths.for_project(project, root)
        assert verify_chain(paths.log_file) == []
        _, problems = verify(paths)  # `latest` is whole and has its entry
        assert problems == [], problems
        for entry in logged_runs(root, project):
            if entry["status"] == "succeeded":
                assert verify(paths, entry["run_id"])[1] == []


@pytest.fixture(scope="module")
def pg_server(postgres, tmp_path_factory):
    """A Prefect server whose database is PostgreSQL; expired leases are looked for every 2 s."""
    home = tmp_path_factory.mktemp("prefect-pg-home")
    env = {"PREFECT_API_DATABASE_CONNECTION_URL": postgres.create_database("prefect"),
           "PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS": "2"}
    server = prefect_server.Server(home, prefect_server.free_port())
    began = time.monotonic()
    prefect_server.start(server, ui=False, env=env)
    print(f"\n[timing] Prefect server on PostgreSQL, cold start with migrations: {time.monotonic() - began:.1f} s")
    try:
        yield server, env
    finally:
        prefect_server.stop(server)


def test_three_workers_on_postgresql_lose_nothing(pg_server, tmp_path):
    server, server_env = pg_server
    timings = {}
    projects = (PROJECT, "second", THIRD)
    root = with_third_project(with_second_project(copy_project(tmp_path / "root")))
    env = {**prefect_env(server), "PREFECT_WORKER_QUERY_SECONDS": "1",
           "INFOPIPE_SLOT_LEASE_SECONDS": str(LEASE)}
    for project in projects:
        done = subprocess.run([sys.executable, "-m", "infopipe.cli", "--root", str(root), "schedule", project,
                               "--pool", POOL], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
    workers: dict[str, subprocess.Popen] = {}

    def start_worker(n: int) -> None:
        log = open(tmp_path / f"worker{n}.log", "ab")
        workers[f"worker-{n}"] = subprocess.Popen(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--name", f"worker-{n}",
             "--limit", "2"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp_path)

    def worker_logs() -> str:
        return "\n".join((tmp_path / f"worker{n}.log").read_text()[-2000:] for n in (1, 2, 3, 4)
                         if (tmp_path / f"worker{n}.log").exists())

    try:
        for n in (1, 2, 3):
            start_worker(n)
        with client_for(server) as client:
            deployments = {p: client.read_deployment_by_name(f"build-infographic/{p}").id for p in projects}

            def trigger(project: str):
                return client.create_flow_run_from_deployment(deployments[project], parameters={"force": True}).id

            # 1. three projects and two runs of one project at once
            began = time.monotonic()
            ids = [trigger(p) for p in (PROJECT, PROJECT, "second", THIRD)]
            runs = wait_final(client, ids)
            assert all(r.state.is_completed() for r in runs.values()), (
                {str(i): r.state.name for i, r in runs.items()}, worker_logs())
            timings["4 runs (3 projects, 2 of one) on 3 workers"] = time.monotonic() - began
            slots = slot_intervals(client, ids)
            assert disjoint(slots[ids[0]], slots[ids[1]]), slots  # never two runs of one project at once
            assert len({r.infrastructure_pid for r in runs.values()}) == 4  # each in a process of its own
            all_verify(root, projects)

            # 2. a worker killed in the middle of a run: the slot comes back after the lease
            killed = trigger(PROJECT)
            began = time.monotonic()
            held = wait_for(lambda: "run " in holder(root, PROJECT) and holder(root, PROJECT), 180,
                            "the run to take the project's lock")
            running_pid = int(held.split()[1])
            owner = next(name for name, w in workers.items() if running_pid in descendants(w.pid))
            time.sleep(1.0)  # into the steps
            stop_all([workers.pop(owner)], grace=0)  # SIGKILL to the worker and every process under it
            killed_run_id = held.split()[3]
            assert not any(e["run_id"] == killed_run_id for e in logged_runs(root, PROJECT))
            next_run = trigger(PROJECT)  # the next scheduled run, queued behind the dead one's slot
            runs = wait_final(client, [next_run])
            assert runs[next_run].state.is_completed(), (runs[next_run].state, worker_logs())
            timings["killed worker: kill to next run done (lease %d s)" % LEASE] = time.monotonic() - began
            entries = logged_runs(root, PROJECT)
            crashed = [e for e in entries if e["run_id"] == killed_run_id]
            assert [(e["status"], e["failed_step"]) for e in crashed] == [("failed", "crashed")]
            assert entries[-1]["status"] == "succeeded"
            assert not list((root / "outputs" / PROJECT / "runs").glob(".staging-*"))
            all_verify(root, projects)
            start_worker(4)

            # 3. the server restarted in the middle of a run
            during = trigger("second")
            wait_for(lambda: "run " in holder(root, "second"), 180, "the run to take the project's lock")
            began = time.monotonic()
            pid = int(server.pid_file.read_text())
            seen = (server.identity_file.read_text() if server.identity_file.exists() else None,
                    prefect_server.identity(pid))
            assert prefect_server.stop(server, grace=5) is True, seen
            assert not prefect_server.healthy(server) and not prefect_server.port_in_use(server)
            prefect_server.start(server, ui=False, env=server_env)
            timings["server restart on PostgreSQL (stop + start)"] = time.monotonic() - began
            runs = wait_final(client, [during])
            outcome = runs[during].state.name
            after = trigger("second")  # whatever became of that run, the next one succeeds
            runs = wait_final(client, [after])
            assert runs[after].state.is_completed(), (runs[after].state, worker_logs())
            statuses = [e["status"] for e in logged_runs(root, "second")]
            assert statuses[-1] == "succeeded"
            all_verify(root, projects)
            print(f"[outcome] the run across the restart ended {outcome}; the project's log says "
                  f"{[(e['status'], e.get('failed_step')) for e in logged_runs(root, 'second')][-3:]}; "
                  f"the killed worker's flow run is {client.read_flow_run(killed).state.name} in Prefect")
    finally:
        stop_all(list(workers.values()))
    for name, seconds in timings.items():
        print(f"[timing] {name}: {seconds:.1f} s")
