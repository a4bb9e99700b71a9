"""What each declared step does (steps.py declares them; pipeline.py runs them in their order).

Every step is a function of the run's state that returns JSON-able records (paths, hashes, keys),
never DataFrames, so the Prefect flow can run each one as a task on any worker that sees the project
folder. Each reuses exactly what the plan (plan.py) says may be reused.
"""

from __future__ import annotations

import datetime as dt
import shutil
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from infopipe import __version__
from infopipe.errors import InfopipeError, Problem
from infopipe.files import copy_hashed, inside, is_pattern, matching_files, reuse_file, sha256_once
from infopipe.run.paths import Paths
from infopipe.run.plan import Plan, figures_json, make_plan, raw_bytes, read_record
from infopipe.run.provenance import environment, git_state, write_json
from infopipe.run.steps import COMPUTE, PUBLISH, RECORD, RENDER, SPEC, STEPS, VALIDATE, Step, content_key
from infopipe.spec.compile import compile_spec
from infopipe.spec.model import load_spec

NOT_REPRODUCIBLE = ("report.html", "provenance.json", "ro-crate-metadata.json")
RENDER_GRACE_FILES = 3  # a render may take as long as this many files more, for set-up
REVIEW_RECORDS = 200  # records per figure shown on the review page; `explain` pages through all


@dataclass
class RunState:
    """What the steps of one run read: where things are, the run's id and folder, and each earlier
    step's result (by the step's declaration)."""

    paths: Paths
    run_id: str
    started: str
    today: dt.date | None = None
    force: bool = False
    staging: Path | None = None
    results: dict[str, Any] = field(default_factory=dict)
    timings: list[dict] = field(default_factory=list)

    def of(self, step: Step) -> Any:
        return self.results[step.name]

    @property
    def plan(self) -> Plan:
        return self.of(SPEC)

    @property
    def previous(self) -> Path | None:
        return Path(self.plan.previous) if self.plan.previous else None


WORK: dict[str, Callable[[RunState], Any]] = {}


def does(step: Step):
    """Register the function that does a declared step."""
    def register(fn: Callable[[RunState], Any]) -> Callable[[RunState], Any]:
        WORK[step.name] = fn
        return fn
    return register


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# ---------------------------------------------------------------- the steps

@does(SPEC)
def read_spec(state: RunState) -> Plan:
    """The checked spec's plan: every unit's key and what can be reused."""
    return make_plan(state.paths, load_spec(state.paths.spec_file), state.force)


@does(VALIDATE)
def validate(state: RunState) -> list[dict]:
    """Typed tables as Parquet, one per dataset; those the plan reuses are not read again."""
    paths, plan = state.paths, state.plan
    spec = load_spec(paths.spec_file)
    raw_hashes = dict(plan.raw)
    todo = [u.name for u in plan.tables if not u.reuse]
    done = {}
    if todo:  # only now pay for pandas, pyarrow's CSV reader and pandera
        from infopipe.data.stream import validate_to_parquet

        done = validate_to_parquet(spec, todo, paths.raw_dir, {n: Path(plan.table(n).path) for n in todo},
                                   state.today)
        raw_hashes.update({n: d.raw.sha256 for n, d in done.items()})
    import pyarrow.parquet as pq

    out = []
    for unit in plan.tables:
        ds = spec.datasets[unit.name]
        item = {"dataset": unit.name, "key": unit.key, "path": unit.path, "sha256": sha256_once(Path(unit.path)),
                "rows": pq.ParquetFile(unit.path).metadata.num_rows, "raw_file": ds.file, "source": ds.source,
                "raw_sha256": raw_hashes[unit.name], "raw_bytes": raw_bytes(paths.raw_dir, ds),
                "redone": unit.name in todo, **({"streamed": True} if unit.name in done and done[unit.name].streamed else {})}
        if ds.database is not None:  # the query, the server's version: from the read just made
            from infopipe.data.database import last_origin

            item["database"] = done[unit.name].raw.origin if unit.name in todo else last_origin(ds)
        out.append(item)
    return out


@does(COMPUTE)
def compute(state: RunState) -> dict:
    """figures.json and lineage/<figure>.parquet (the records behind each figure, with the fields its
    rule used) in the run folder; figures the plan reuses are linked from the previous run. Every
    claim is checked."""
    from infopipe.compute import FigureResult, check_claims, compute_figure, filled, statements
    from infopipe.data.parquet_sql import ParquetTables
    from infopipe.data.validate import describe_checks
    from infopipe.marks import check_unique_ids

    spec, plan, folder, previous = load_spec(state.paths.spec_file), state.plan, state.staging, state.previous
    datasets = state.of(VALIDATE)
    raw = {d["dataset"]: {"path": d["raw_file"] or d["source"], "sha256": d["raw_sha256"]} for d in datasets}
    tables = ParquetTables({d["dataset"]: Path(d["path"]) for d in datasets})
    (folder / "lineage").mkdir(parents=True, exist_ok=True)
    entries, computed = [], []
    for fig in compile_spec(spec).figures:
        unit = plan.figure(fig.id)
        if unit.reuse:
            for i in unit.ids:
                old = plan.old_figures[i]
                reuse_file(previous / old["lineage"]["path"], inside(folder, old["lineage"]["path"], COMPUTE.name))
                # a reused figure takes this spec's line: an edit that only moves lines changes nothing else
                entries.append({**old, "note": fig.decl.note if i == fig.id else None, "line": fig.line})
            continue
        computed += unit.ids
        for result in compute_figure(fig, tables, str(spec.path), spec.datasets):
            lineage = inside(folder, f"lineage/{result.id}.parquet", COMPUTE.name)
            result.records.to_parquet(lineage, index=False)
            entries.append({**result.to_dict(), "note": result.note, "key": unit.key, "line": fig.line,
                            "input": raw[result.dataset],
                            "lineage": {"path": f"lineage/{result.id}.parquet", "sha256": sha256_once(lineage)}})
    check_unique_ids(entries, str(spec.path))
    printed = {e["id"]: e["printed"] for e in entries}
    said = statements(spec, printed, {e["id"]: e for e in entries})
    for e in entries:
        if e["note"]:
            e["note"] = filled(e["note"], printed)
        e["statement"] = said.get(e["id"], "")
    check_claims(spec, [FigureResult.from_dict(e) for e in entries])
    write_json(folder / "figures.json", {"project": spec.project, "spec_sha256": spec.sha256, "figures": entries})
    validation = [{"dataset": d["dataset"], "file": d["raw_file"] or d["source"], "rows": d["rows"], "status": "passed",
                   "primary_key": spec.datasets[d["dataset"]].primary_key,
                   "checks": describe_checks(spec.datasets[d["dataset"]]),
                   **({"streamed": True} if d.get("streamed") else {})} for d in datasets]
    return {"figures": entries, "computed": computed, "validation": validation}


@does(RENDER)
def render(state: RunState) -> list[dict]:
    """Panels, page, alt text and gallery; a file whose key (its SVG, renderer and fonts) is
    unchanged is reused from the previous run instead of drawn again."""
    from infopipe.compute import FigureResult
    from infopipe.present.colours import check_page_colours
    from infopipe.present.glyphs import check_page_glyphs
    from infopipe.present.page import page_for
    from infopipe.present.render import plan_outputs, render_hung, write_outputs
    from infopipe.run.progress import progress_callback

    spec, folder = load_spec(state.paths.spec_file), state.staging
    page = page_for(spec, [FigureResult.from_dict(f) for f in figures_json(folder)])
    check_page_colours(page, str(spec.path))
    check_page_glyphs(page, spec)
    keys = state.plan.file_keys()
    charts = sum(1 for p in page.panels if p.chart is not None)
    files = 3 * len(page.panels) + 2 * charts + 6  # panels' SVG and PNGs, plots and HTML, the page's
    seconds = spec.render_seconds_per_file * (files + RENDER_GRACE_FILES)
    with time_limit(seconds, render_hung(files, 0)):
        outputs = plan_outputs(page, folder, state.previous, keys)  # draws the changed charts (one browser)
        written = write_outputs(outputs, folder, state.previous, keys,
                                deadline=time.monotonic() + seconds, progress=progress_callback)
    return [{**o.to_dict(), "reused": o.path in written.reused} for o in outputs]


@does(PUBLISH)
def publish(state: RunState) -> dict:
    """The run's record (what was read, computed, drawn and redone), the run's own copies of spec
    and inputs, and the review page (with the first records behind each figure, read back from the
    lineage files)."""
    import pandas as pd

    from infopipe.concepts.rules import plain_value
    from infopipe.present.report import write_figures_csv, write_report

    paths, plan, folder, previous = state.paths, state.plan, state.staging, state.previous
    spec = load_spec(paths.spec_file)
    datasets, computed, rendered = state.of(VALIDATE), state.of(COMPUTE), state.of(RENDER)
    record = {
        "run_id": state.run_id, "project": paths.project, "status": "succeeded", "run_key": plan.run_key,
        "started_at": state.started, "code": {"infopipe_version": __version__, **git_state(paths.root)},
        "environment": environment(), "spec": {"path": paths.shown(spec.path), "sha256": spec.sha256},
        "raw_dir": paths.shown(paths.raw_dir), "previous_run": previous.name if previous else None,
        "inputs": [_input_record(paths, d) for d in datasets]
                  + ([{k: v for k, v in plan.report.items() if k != "source"}] if plan.report else []),
        "processed": [{k: d[k] for k in ("dataset", "key", "sha256", "redone")} | {"path": paths.shown(Path(d["path"]))}
                      for d in datasets],
        "validation": computed["validation"], "figures": computed["figures"],
        "redone": {"datasets": [d["dataset"] for d in datasets if d["redone"]],
                   "figures": computed["computed"],
                   "files": sorted(r["path"] for r in rendered if not r["reused"])},
        "rendered": rendered,
    }
    record["inputs_digest"] = content_key(spec.sha256, [(i["path"], i["sha256"]) for i in record["inputs"]])
    shutil.copyfile(paths.spec_file, folder / "spec.yaml")
    (folder / "inputs").mkdir()
    for item in datasets:
        if item["raw_file"] and is_pattern(item["raw_file"]):  # each Parquet file of the folder
            for rel, path in matching_files(paths.raw_dir, item["raw_file"], item["raw_file"], item["dataset"]):
                copy_input(path, folder / "inputs", rel, sha256_once(path), previous)
        elif item["raw_file"]:  # rows read from a database are recorded by their query and hash instead
            copy_input(paths.raw_dir / item["raw_file"], folder / "inputs", item["raw_file"], item["raw_sha256"],
                       previous)
    coverage = None
    if plan.report is not None:
        item = plan.report
        copy_input(Path(item["source"]), folder / "inputs", item["path"], item["sha256"], previous)
        coverage = coverage_of(spec, record["figures"], folder, item)

    def first_records(figure: dict) -> list[dict]:
        frame = pd.read_parquet(folder / figure["lineage"]["path"]).head(REVIEW_RECORDS)
        return [{c: plain_value(v) for c, v in row.items()} for row in frame.to_dict("records")]

    with ThreadPoolExecutor(2) as readers:  # Arrow reads without the GIL: 500 figures 1.5 s -> 1.0 s
        evidence = dict(zip((f["id"] for f in record["figures"]), readers.map(first_records, record["figures"])))
    write_figures_csv(folder, record["figures"])
    write_report(folder, record, evidence, list_outputs(folder, record["rendered"]), coverage)
    return record


def _input_record(paths, d: dict) -> dict:
    """One input of a run as provenance.json keeps it: a raw file (where it is, its hash and size),
    or a database's rows (the query run, the server's version, the rows' content hash)."""
    item = {"dataset": d["dataset"], "path": f"{paths.raw_dir.name}/{d['raw_file']}" if d["raw_file"] else d["source"],
            "sha256": d["raw_sha256"], "bytes": d["raw_bytes"]}
    if d["raw_file"]:
        return {**item, "file": d["raw_file"], "location": paths.shown(paths.raw_dir / d["raw_file"])}
    return {**item, "database": d["database"]}


def coverage_of(spec, figures: list[dict], folder: Path, item: dict) -> dict | None:
    """coverage.json: every number on the report's pages against the figures just computed. A
    number that is neither covered nor excluded fails the run, as a claim that does not hold does."""
    if not spec.report.pages:
        return None
    from infopipe.coverage import check_coverage, uncovered_problems
    from infopipe.data.published import read_pages

    pages = read_pages(folder / "inputs" / item["path"], spec.report.pages, spec.report.file)
    result = check_coverage(spec, figures, pages, {"file": spec.report.file, "sha256": item["sha256"]})
    if not result["ok"]:
        raise InfopipeError("coverage", uncovered_problems(result))
    write_json(folder / "coverage.json", result)
    return result


@does(RECORD)
def record(state: RunState) -> dict:
    """provenance.json (every step's timing, every output's hash) and the RO-Crate, both from the
    step declarations and the record the run built."""
    from infopipe.run.crate import write_crate

    record = {**state.of(PUBLISH), "steps": list(state.timings), "finished_at": now().isoformat()}
    record["outputs"] = list_outputs(state.staging, record.get("rendered", []))
    write_json(state.staging / "provenance.json", record)
    write_crate(state.staging, record, STEPS)
    return record


# ---------------------------------------------------------------- helpers

@contextmanager
def time_limit(seconds: float, error: InfopipeError):
    """Raise `error` if the block runs longer than `seconds` (a timer signal: it also stops a
    single file that hangs). Off the main thread (Prefect workers) the task's own timeout and
    the per-file deadline do this instead."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise error

    before = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)



def copy_input(source: Path, inputs: Path, rel: str, sha256: str, previous: Path | None) -> None:
    """A run's copy of a raw file: a hard link to the previous run's identical copy (runs are never
    edited), else a copy."""
    dest = inside(inputs, rel)
    earlier = previous / "inputs" / rel if previous else None
    if earlier and earlier.is_file() and _recorded_sha(previous, f"inputs/{rel}") == sha256:
        reuse_file(earlier, dest)
    elif copy_hashed(source, dest) != sha256:
        raise InfopipeError("publish", [Problem(rel, "raw-changed", "the raw file changed while the run used "
                                                "it; run again")])


def _recorded_sha(run: Path, rel: str) -> str | None:
    return next((o["sha256"] for o in read_record(run).get("outputs", []) if o["path"] == rel), None)


def list_outputs(folder: Path, rendered: list[dict]) -> list[dict]:
    """Every file of the run with its hash, whether it is byte-reproducible, and what made it."""
    made_by = {r["path"]: r for r in rendered}
    out = []
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or p.name in ("provenance.json", "ro-crate-metadata.json"):
            continue
        rel = str(p.relative_to(folder))
        item = {"path": rel, "sha256": sha256_once(p), "bytes": p.stat().st_size,
                "reproducible": p.name not in NOT_REPRODUCIBLE}
        if rel in made_by:
            item.update({k: made_by[rel][k] for k in ("renderer", "renderer_version", "key", "reused")})
        out.append(item)
    return out
