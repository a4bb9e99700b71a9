"""The whole run: the declared steps (steps.py) in their order, each doing what run/work.py says, on
the plan (plan.py) that decides what is reused; then `latest` moves and the log gets its entry.

Each step takes the run's state and returns JSON-able records (paths, hashes), never DataFrames, so
the Prefect flow can run each one as a task on any worker that sees the project folder. A run with
nothing changed builds nothing: it logs an `up-to-date` entry naming the run whose outputs are still
current.

`step` decides how each step is called: directly (the CLI, tests) or as a Prefect task (run/flow.py).
Whatever happens, the run ends with one entry in the project's log, and `latest` only ever moves to
a complete run.
"""

from __future__ import annotations

import datetime as dt
import secrets
import signal
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

from infopipe import __version__
from infopipe.errors import InfopipeError, Problem, Stopped, os_problem
from infopipe.files import sha256_file
from infopipe.run.paths import Paths, project_names  # noqa: F401  (the run's addresses, imported from here)
from infopipe.run.plan import make_plan
from infopipe.run.provenance import append_log, check_log
from infopipe.run.publish import check_latest, commit_run, discard_run, latest_run, project_lock, recover, staging_folder
from infopipe.run.steps import RECORD, SPEC, STEPS
from infopipe.run.work import WORK, RunState, now, time_limit  # noqa: F401
from infopipe.spec.model import load_spec

Hook = Callable[..., Any]


def call(name: str, fn: Hook, *args, key: str | None = None, **kwargs):
    """Run a step as a plain function call (the key is for hooks that cache, such as Prefect's)."""
    return fn(*args, **kwargs)


def validate_only(paths: Paths, today: dt.date | None = None) -> dict:
    """Check spec, raw data and every claim without writing anything; per-dataset results."""
    from infopipe.present.colours import check_page_colours
    from infopipe.present.glyphs import check_page_glyphs
    from infopipe.compute import check_claims, compute_figures
    from infopipe.present.page import page_for
    from infopipe.data.parquet_sql import ParquetTables
    from infopipe.data.stream import validate_to_parquet
    from infopipe.data.validate import validation_summary

    spec = load_spec(paths.spec_file)
    with tempfile.TemporaryDirectory(prefix="infopipe-validate-") as scratch:  # as a run reads them, then gone
        files = {n: Path(scratch) / f"{n}.parquet" for n in spec.datasets}
        tables = validate_to_parquet(spec, list(spec.datasets), paths.raw_dir, files, today)
        results = compute_figures(spec, ParquetTables(files))
    check_claims(spec, results)
    page = page_for(spec, results)
    check_page_colours(page, str(spec.path))
    check_page_glyphs(page, spec)
    return {"spec": str(paths.spec_file), "datasets": validation_summary(tables), "figures": results}


def run(paths: Paths, step: Hook = call, today: dt.date | None = None, lock_wait: float = 0,
        force: bool = False) -> Path:
    """Build one run of the project (or find the current one); return its folder."""
    started = now()
    state = RunState(paths, new_run_id(started), started.isoformat(), today, force)
    current, inputs = SPEC, []

    with stop_on_signals(), project_lock(paths.project_out, lock_wait, state.run_id) as left:
        check_log(paths.log_file)  # a damaged or unwritable log is refused, not extended
        try:
            check_latest(paths.project_out)
            recover(paths.project_out, paths.log_file, left, state.run_id,
                    lambda rid, began, why: _failure_entry(paths, rid, began, "crashed", None, why, [], []))
            for declared in STEPS.values():
                current = declared
                if declared.opens_run and state.staging is None:
                    state.staging = staging_folder(paths.project_out, state.run_id)
                began, started_at = time.perf_counter(), now().isoformat()
                key = state.plan.cache_key(declared) if declared is not SPEC else None
                state.results[declared.name] = step(declared.name, WORK[declared.name], state, key=key)
                state.timings.append({"step": declared.name, "started_at": started_at, "ended_at": now().isoformat(),
                                      "seconds": round(time.perf_counter() - began, 3)})
                if declared is SPEC:  # the plan is made: a run that is current ends here
                    inputs = state.plan.inputs
                    if state.plan.current is not None:
                        _log_up_to_date(paths, state.run_id, started, state.plan, inputs)
                        return Path(state.plan.current)
            record = state.of(RECORD)
            final = commit_run(state.staging, paths.project_out, state.run_id, paths.log_file,
                               lambda folder: log_entry(record, folder))
            state.staging = None
            return final
        except BaseException as err:
            discard_run(state.staging)
            if isinstance(err, OSError):  # a full disk, a permission, a loop: one clear line
                err = InfopipeError(current.name, [os_problem(err)])
            _log_failure(paths, state.run_id, started, current.name, err, inputs)
            if isinstance(err, InfopipeError):
                raise err from None
            raise


@contextmanager
def stop_on_signals():
    """SIGTERM and SIGHUP stop a run the way Ctrl-C does: through the run's own clean-up, which
    removes the staging folder and logs a `failed` entry. Only the main thread can set handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise Stopped(signum)

    before = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def log_entry(record: dict, final: Path) -> dict:
    """The log keeps what is needed to check the run later without trusting the run folder."""
    return {
        "run_id": record["run_id"], "project": record["project"], "status": "succeeded",
        "started_at": record["started_at"], "finished_at": record["finished_at"],
        "run_folder": str(final), "run_key": record["run_key"], "code": record["code"], "spec": record["spec"],
        "inputs_digest": record["inputs_digest"], "inputs": _input_hashes(record["inputs"]),
        "provenance_sha256": sha256_file(final / "provenance.json"),
        "crate_sha256": sha256_file(final / "ro-crate-metadata.json"),
        "figures": {f["id"]: f["printed"] for f in record["figures"]},
    }


def _input_hashes(inputs: list[dict]) -> list[dict]:
    return [{"path": i["path"], "sha256": i["sha256"]} for i in inputs]


def _log_failure(paths: Paths, run_id: str, started: dt.datetime, step: str, err: BaseException,
                 inputs: list[dict]) -> None:
    problems = err.problems if isinstance(err, InfopipeError) else [
        Problem(step, type(err).__name__, str(err) or type(err).__name__)]
    entry = _failure_entry(paths, run_id, started.isoformat(), err.step if isinstance(err, InfopipeError) else step,
                           step, str(err).splitlines()[0] if str(err) else type(err).__name__, problems, inputs)
    page = write_failure_page(paths, entry, problems[:200])
    if page is not None:
        entry["review_page"] = paths.shown(page)
        if isinstance(err, InfopipeError):
            err.review_page = page
    try:
        append_log(paths.log_file, entry)
    except (OSError, InfopipeError):
        pass  # the output folder or the log cannot take it; the raised error already says so


def _failure_entry(paths: Paths, run_id: str, started: str, failed_step: str, step: str | None, error: str,
                   problems: list[Problem], inputs: list[dict]) -> dict:
    return {
        "run_id": run_id, "project": paths.project, "status": "failed",
        "failed_step": failed_step, "pipeline_step": step,
        "started_at": started, "finished_at": now().isoformat(), "error": error,
        "problems": [p.to_dict() for p in problems[:200]], "problem_count": len(problems),
        "inputs": _input_hashes(inputs), "code": {"infopipe_version": __version__},
    }


def write_failure_page(paths: Paths, entry: dict, problems: list[Problem]) -> Path | None:
    """outputs/<project>/failed/<run-id>.html: a failed run has no run folder, but its reviewer
    still gets a page. None when it cannot be written (a full disk: the error already says why)."""
    from infopipe.files import inside
    from infopipe.present.report import render_failure_page

    latest = latest_run(paths.project_out)
    try:
        folder = paths.project_out / "failed"
        folder.mkdir(parents=True, exist_ok=True)
        page = inside(folder, f"{entry['run_id']}.html")
        page.write_text(render_failure_page(entry, problems, latest.name if latest else None), encoding="utf-8")
        return page
    except (OSError, InfopipeError):
        return None


def status(paths: Paths) -> dict:
    """What is up to date and what is stale, and why, without doing any work: the plan, printed."""
    return make_plan(paths, load_spec(paths.spec_file), report_missing_is_bad=False).status()


def up_to_date(paths: Paths) -> Path | None:
    """The latest run when a run now would build nothing, having logged the `up-to-date` entry
    exactly as `run` does; else None. The same plan under the same lock as `run`, without paying
    for a runner: the Prefect path asks this first, so a no-change `make run` creates no flow run.
    None also when the project is locked or the spec is bad: the full run then waits, refuses or
    reports it as it always does."""
    started = now()
    try:
        with project_lock(paths.project_out, 0):
            plan = make_plan(paths, load_spec(paths.spec_file))
            if plan.current is not None:
                _log_up_to_date(paths, new_run_id(started), started, plan, plan.inputs)
                return Path(plan.current)
            return None
    except InfopipeError:
        return None


def new_run_id(started: dt.datetime) -> str:
    return f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _log_up_to_date(paths: Paths, run_id: str, started: dt.datetime, plan, inputs: list[dict]) -> None:
    append_log(paths.log_file, {
        "run_id": run_id, "project": paths.project, "status": "up-to-date",
        "current_run": Path(plan.current).name, "run_key": plan.run_key, "started_at": started.isoformat(),
        "finished_at": now().isoformat(), "inputs": inputs, "code": {"infopipe_version": __version__}})
