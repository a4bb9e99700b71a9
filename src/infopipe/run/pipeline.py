"""The whole run: spec, validate, compute, render, publish, record (declared in steps.py).

Each step takes paths and content keys and returns JSON-able records (paths, hashes), never
DataFrames, so the Prefect flow can run each one as a task on any worker that sees the project
folder. Each unit of work is reused while its key is unchanged: a typed table (data/processed/), a
figure and a panel (from the `latest` run). A run with nothing changed builds nothing: it logs an
`up-to-date` entry naming the run whose outputs are still current.

`step` decides how each step is called: directly (the CLI, tests) or as a Prefect task (flows/).
Whatever happens, the run ends with one entry in the project's log, and `latest` only ever moves to
a complete run.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Callable

from infopipe import __version__
from infopipe.errors import InfopipeError, Problem, Stopped, os_problem
from infopipe.files import inside, resolve_inside, reuse_file, sha256_file
from infopipe.run.provenance import append_log, environment, git_state, write_json
from infopipe.run.publish import STAGING_PREFIX, discard_run, finish_run, latest_run, project_lock, staging_folder
from infopipe.spec.compile import compile_spec
from infopipe.spec.model import Spec, load_spec, spec_path
from infopipe.run.steps import STEPS, all_versions, content_key

Hook = Callable[..., Any]
NOT_REPRODUCIBLE = ("report.html", "provenance.json", "ro-crate-metadata.json")
RENDER_GRACE_FILES = 3  # a render may take as long as this many files more, for set-up
REVIEW_RECORDS = 200  # records per figure shown on the review page; `explain` pages through all


def call(name: str, fn: Hook, *args, key: str | None = None, **kwargs):
    """Run a step as a plain function call (the key is for hooks that cache, such as Prefect's)."""
    return fn(*args, **kwargs)


@dataclass(frozen=True)
class Paths:
    """Where one project's spec, raw data and outputs are; nothing outside these is touched."""

    project: str
    root: Path
    raw_dir: Path
    out_dir: Path
    processed_dir: Path

    @classmethod
    def for_project(cls, project: str, root: Path = Path("."), raw: Path | None = None,
                    out: Path | None = None, processed: Path | None = None) -> "Paths":
        root = Path(root).resolve()
        spec_path(root / "projects", project)  # refuses a project name that could leave projects/
        return cls(project, root,
                   Path(raw).resolve() if raw else root / "data" / "raw" / project,
                   Path(out).resolve() if out else root / "outputs",
                   Path(processed).resolve() if processed else root / "data" / "processed")

    def shown(self, path: Path) -> str:
        """A path as recorded: relative to the root when inside it, so a moved copy still verifies."""
        path = Path(path).resolve()
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def located(self, recorded: str) -> Path:
        return self.root / recorded  # an absolute recorded path stays absolute

    @property
    def spec_file(self) -> Path:
        return spec_path(self.root / "projects", self.project)

    @property
    def project_out(self) -> Path:
        return self.out_dir / self.project

    @property
    def project_processed(self) -> Path:
        return self.processed_dir / self.project

    @property
    def log_file(self) -> Path:
        return self.project_out / "provenance.jsonl"


def project_names(root: Path) -> list[str]:
    """Every project under ROOT/projects (a folder with a spec.yaml)."""
    folder = Path(root) / "projects"
    return sorted(p.name for p in folder.iterdir() if (p / "spec.yaml").is_file()) if folder.is_dir() else []


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# ---------------------------------------------------------------- keys without doing the work

def raw_fingerprints(spec: Spec, raw_dir: Path) -> dict[str, str | None]:
    """Each dataset's raw file hash; None where the file cannot be hashed (ingest says why)."""
    out = {}
    for ds in spec.datasets.values():
        try:
            path = resolve_inside(raw_dir, ds.file, ds.file)
            out[ds.name] = sha256_file(path) if path.is_file() else None
        except (InfopipeError, OSError, RuntimeError):  # ingest names the cause
            out[ds.name] = None
    return out


def dataset_keys(spec: Spec, raw: dict[str, str | None]) -> dict[str, str]:
    """A typed table's key: its raw bytes and declaration, and those of the tables it references."""
    step = STEPS["validate"]
    keys = {}
    for name, ds in spec.datasets.items():
        linked = sorted({c.references[0] for c in ds.columns.values() if c.references} - {name})
        keys[name] = step.key(raw[name], ds.model_dump(mode="json"), spec.max_file_bytes,
                              [(t, raw.get(t), spec.datasets[t].model_dump(mode="json")) for t in linked if t in spec.datasets])
    return keys


def figure_key(spec: Spec, fig, keys: dict[str, str]) -> str:
    """A figure's key: its own declaration, the reporting period, and the tables it reads."""
    read = compile_spec(spec).figure(fig.id).rule.reads
    return STEPS["compute"].key(fig.model_dump(mode="json", by_alias=True), spec.period and
                                spec.period.model_dump(mode="json"), [keys.get(d) for d in read])


def run_key(spec: Spec, raw: dict[str, str | None]) -> str:
    """Everything a run depends on: the spec's bytes, every raw file, the code, the versions and
    the renderers with their font files."""
    from infopipe.present.render import renderers_fingerprint

    return content_key(spec.sha256, raw, all_versions(), renderers_fingerprint(spec.theme.font_family))


# ---------------------------------------------------------------- the steps

def validate_step(spec_file: Path, raw_dir: Path, processed: Path, today: dt.date | None = None,
                  force: bool = False) -> list[dict]:
    """Typed tables as Parquet, one per dataset, reusing each while its key is unchanged."""
    spec = load_spec(spec_file)
    raw_hashes = raw_fingerprints(spec, raw_dir)
    keys = dataset_keys(spec, raw_hashes)
    cached = {n: processed / f"{n}-{k[:16]}.parquet" for n, k in keys.items()}
    todo = [n for n in spec.datasets if force or raw_hashes[n] is None or not cached[n].is_file()]
    if todo:  # only now pay for pandas, pyarrow's CSV reader and pandera
        from infopipe.data.ingest import read_raw_tables
        from infopipe.data.validate import validate_tables, write_table

        linked = {c.references[0] for n in todo for c in spec.datasets[n].columns.values() if c.references}
        needed = [n for n in spec.datasets if n in todo or n in linked]
        subset = spec.model_copy(update={"datasets": {n: spec.datasets[n] for n in needed}})
        tables = validate_tables(subset, read_raw_tables(subset, raw_dir), today)
        for name in todo:
            write_table(tables[name], cached[name])
            raw_hashes[name] = tables[name].raw.sha256
    import pyarrow.parquet as pq

    out = []
    for name, ds in spec.datasets.items():
        out.append({"dataset": name, "key": keys[name], "path": str(cached[name]),
                    "sha256": sha256_file(cached[name]), "rows": pq.ParquetFile(cached[name]).metadata.num_rows,
                    "raw_file": ds.file, "raw_sha256": raw_hashes[name],
                    "raw_bytes": (raw_dir / ds.file).stat().st_size, "redone": name in todo})
    return out


class _ParquetTables(Mapping):
    """Typed tables read from their Parquet files only when a rule asks for one."""

    def __init__(self, paths: dict[str, Path]):
        self.paths, self.loaded = paths, {}

    def __getitem__(self, name: str):
        if name not in self.loaded:
            import pandas as pd

            self.loaded[name] = pd.read_parquet(self.paths[name])
        return self.loaded[name]

    def __iter__(self):
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)


def compute_and_record(spec: Spec, datasets: list[dict], folder: Path, previous: Path | None,
                       force: bool = False) -> dict:
    """Compute what changed, reuse what did not, check every claim, and write figures.json and
    lineage/<figure>.parquet (the records behind each figure, with the fields its rule used)."""
    from infopipe.compute import FigureResult, check_claims, compute_figure, figures_json, filled, statements
    from infopipe.data.validate import describe_checks

    keys = {d["dataset"]: d["key"] for d in datasets}
    raw = {d["dataset"]: {"path": d["raw_file"], "sha256": d["raw_sha256"]} for d in datasets}
    tables = _ParquetTables({d["dataset"]: Path(d["path"]) for d in datasets})
    old = {} if force or previous is None else {f["id"]: f for f in figures_json(previous)}
    (folder / "lineage").mkdir(parents=True, exist_ok=True)
    entries, computed = [], []
    for fig in compile_spec(spec).figures:
        key = figure_key(spec, fig.decl, keys)
        ids = [fig.id] + [p.id for p in fig.parts]
        reusable = all(old.get(i, {}).get("key") == key and (previous / old[i]["lineage"]["path"]).is_file()
                       for i in ids)
        if reusable:
            for i in ids:
                reuse_file(previous / old[i]["lineage"]["path"], inside(folder, old[i]["lineage"]["path"], "compute"))
                # a reused figure takes this spec's line: an edit that only moves lines changes nothing else
                entries.append({**old[i], "note": fig.decl.note if i == fig.id else None, "line": fig.line})
            continue
        computed += ids
        for result in compute_figure(fig, tables, str(spec.path)):
            lineage = inside(folder, f"lineage/{result.id}.parquet", "compute")
            result.records.to_parquet(lineage, index=False)
            entries.append({**result.to_dict(), "note": result.note, "key": key, "line": fig.line,
                            "input": raw[result.dataset],
                            "lineage": {"path": f"lineage/{result.id}.parquet", "sha256": sha256_file(lineage)}})
    printed = {e["id"]: e["printed"] for e in entries}
    said = statements(spec, printed)
    for e in entries:
        if e["note"]:
            e["note"] = filled(e["note"], printed)
        e["statement"] = said.get(e["id"], "")
    check_claims(spec, [FigureResult.from_dict(e) for e in entries])
    write_json(folder / "figures.json", {"project": spec.project, "spec_sha256": spec.sha256, "figures": entries})
    validation = [{"dataset": d["dataset"], "file": d["raw_file"], "rows": d["rows"], "status": "passed",
                   "primary_key": spec.datasets[d["dataset"]].primary_key,
                   "checks": describe_checks(spec.datasets[d["dataset"]])} for d in datasets]
    return {"figures": entries, "computed": computed, "validation": validation}


def compute_step(spec_file: Path, datasets: list[dict], folder: Path, previous: Path | None = None,
                 force: bool = False) -> dict:
    """figures.json and lineage/<figure>.parquet in the run folder; unchanged figures are reused."""
    return compute_and_record(load_spec(spec_file), datasets, folder, previous, force)


def render_step(spec_file: Path, folder: Path, previous: Path | None = None, force: bool = False) -> list[dict]:
    """Panels, page, alt text and gallery; a file whose key (its SVG, renderer and fonts) is
    unchanged is reused from the previous run instead of drawn again."""
    from infopipe.present.colours import check_page_colours
    from infopipe.compute import read_figures
    from infopipe.present.page import page_for
    from infopipe.run.progress import progress_callback
    from infopipe.present.render import plan_outputs, render_hung, write_outputs

    spec = load_spec(spec_file)
    page = page_for(spec, read_figures(folder))
    check_page_colours(page, str(spec.path))
    outputs = plan_outputs(page, folder)
    keys = {} if force or previous is None else {
        o["path"]: o.get("key") for o in _record(previous).get("outputs", [])}
    seconds = spec.render_seconds_per_file * (len(outputs) + RENDER_GRACE_FILES)
    with time_limit(seconds, render_hung(len(outputs), 0)):
        written = write_outputs(outputs, folder, previous, keys, deadline=time.monotonic() + seconds,
                                progress=progress_callback)
    return [{**o.to_dict(), "reused": o.path in written.reused} for o in outputs]


def publish_step(spec_file: Path, raw_dir: Path, datasets: list[dict], folder: Path,
                 previous: Path | None, record: dict) -> None:
    """The run's own copies of spec and inputs, figures.csv, and the review page (with the first
    records behind each figure, read back from the lineage files)."""
    import pandas as pd

    from infopipe.present.report import write_figures_csv, write_report
    from infopipe.concepts.rules import plain_value

    shutil.copyfile(spec_file, folder / "spec.yaml")
    (folder / "inputs").mkdir()
    for item in datasets:
        copy_input(raw_dir / item["raw_file"], folder / "inputs", item["raw_file"], item["raw_sha256"], previous)
    evidence = {}
    for figure in record["figures"]:
        frame = pd.read_parquet(folder / figure["lineage"]["path"]).head(REVIEW_RECORDS)
        evidence[figure["id"]] = [{c: plain_value(v) for c, v in row.items()} for row in frame.to_dict("records")]
    write_figures_csv(folder, record["figures"])
    write_report(folder, record, evidence, list_outputs(folder, record["rendered"]))


def copy_input(source: Path, inputs: Path, rel: str, sha256: str, previous: Path | None) -> None:
    """A run's copy of a raw file: a hard link to the previous run's identical copy (runs are never
    edited), else a copy."""
    dest = inside(inputs, rel)
    earlier = previous / "inputs" / rel if previous else None
    if earlier and earlier.is_file() and _recorded_sha(previous, f"inputs/{rel}") == sha256:
        reuse_file(earlier, dest)
    else:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)


def _record(run: Path) -> dict:
    try:
        return json.loads((run / "provenance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _recorded_sha(run: Path, rel: str) -> str | None:
    return next((o["sha256"] for o in _record(run).get("outputs", []) if o["path"] == rel), None)


def record_step(folder: Path, record: dict) -> None:
    """provenance.json (with every output's hash) and the RO-Crate."""
    from infopipe.run.crate import write_crate

    record["outputs"] = list_outputs(folder, record.get("rendered", []))
    write_json(folder / "provenance.json", record)
    write_crate(folder, record)


# ---------------------------------------------------------------- the run

def validate_only(paths: Paths, today: dt.date | None = None) -> dict:
    """Check spec, raw data and every claim without writing anything; per-dataset results."""
    from infopipe.present.colours import check_page_colours
    from infopipe.compute import check_claims, compute_figures
    from infopipe.present.page import page_for
    from infopipe.data.ingest import read_raw_tables
    from infopipe.data.validate import validate_tables, validation_summary

    spec = load_spec(paths.spec_file)
    tables = validate_tables(spec, read_raw_tables(spec, paths.raw_dir), today)
    results = compute_figures(spec, tables)
    check_claims(spec, results)
    check_page_colours(page_for(spec, results), str(spec.path))
    return {"spec": str(paths.spec_file), "datasets": validation_summary(tables), "figures": results}


def run(paths: Paths, step: Hook = call, today: dt.date | None = None, lock_wait: float = 0,
        force: bool = False) -> Path:
    """Build one run of the project (or find the current one); return its folder."""
    started = now()
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    timings: list[dict] = []
    state: dict[str, Any] = {"step": "spec", "inputs": []}

    def timed(name: str, fn: Hook, *args, key: str | None = None, **kwargs):
        state["step"] = name
        began, started_at = time.perf_counter(), now().isoformat()
        result = step(name, fn, *args, key=key, **kwargs)
        timings.append({"step": name, "started_at": started_at, "ended_at": now().isoformat(),
                        "seconds": round(time.perf_counter() - began, 3)})
        return result

    with stop_on_signals(), project_lock(paths.project_out, lock_wait):
        for stale in (paths.project_out / "runs").glob(f"{STAGING_PREFIX}*"):
            discard_run(stale)  # left by a run that was killed; never a good run
        staging = None
        try:
            spec = timed("spec", load_spec, paths.spec_file)
            raw = raw_fingerprints(spec, paths.raw_dir)
            key = run_key(spec, raw)
            previous = latest_run(paths.project_out)
            state["inputs"] = [{"path": f"{paths.raw_dir.name}/{spec.datasets[n].file}", "sha256": h}
                               for n, h in raw.items()]
            current = None if force else _current_run(previous, key)
            if current is not None:
                append_log(paths.log_file, {
                    "run_id": run_id, "project": paths.project, "status": "up-to-date",
                    "current_run": current.name, "run_key": key, "started_at": started.isoformat(),
                    "finished_at": now().isoformat(), "inputs": state["inputs"],
                    "code": {"infopipe_version": __version__}})
                return current
            datasets = timed("validate", validate_step, paths.spec_file, paths.raw_dir,
                             paths.project_processed, today, force, key=None if force else key)
            staging = staging_folder(paths.project_out, run_id)
            computed = timed("compute", compute_step, paths.spec_file, datasets, staging, previous, force)
            rendered = timed("render", render_step, paths.spec_file, staging, previous, force)
            record = {
                "run_id": run_id, "project": paths.project, "status": "succeeded", "run_key": key,
                "started_at": started.isoformat(), "code": {"infopipe_version": __version__, **git_state(paths.root)},
                "environment": environment(), "spec": {"path": paths.shown(spec.path), "sha256": spec.sha256},
                "raw_dir": paths.shown(paths.raw_dir), "previous_run": previous.name if previous else None,
                "inputs": [{"dataset": d["dataset"], "path": f"{paths.raw_dir.name}/{d['raw_file']}",
                            "file": d["raw_file"], "location": paths.shown(paths.raw_dir / d["raw_file"]),
                            "sha256": d["raw_sha256"], "bytes": d["raw_bytes"]} for d in datasets],
                "processed": [{k: d[k] for k in ("dataset", "key", "sha256", "redone")} | {"path": paths.shown(Path(d["path"]))}
                              for d in datasets],
                "validation": computed["validation"], "figures": computed["figures"],
                "redone": {"datasets": [d["dataset"] for d in datasets if d["redone"]],
                           "figures": computed["computed"],
                           "files": sorted(r["path"] for r in rendered if not r["reused"])},
                "rendered": rendered,
            }
            record["inputs_digest"] = content_key(spec.sha256, [(i["path"], i["sha256"]) for i in record["inputs"]])
            timed("publish", publish_step, paths.spec_file, paths.raw_dir, datasets, staging, previous, record)
            record["steps"] = timings
            record["finished_at"] = now().isoformat()
            timed("record", record_step, staging, record)
            final = finish_run(staging, paths.project_out, run_id)
            staging = None
            append_log(paths.log_file, log_entry(record, final))
            return final
        except BaseException as err:
            discard_run(staging)
            if isinstance(err, OSError):  # a full disk, a permission, a loop: one clear line
                err = InfopipeError(state["step"], [os_problem(err)])
            _log_failure(paths, run_id, started, state["step"], err, state["inputs"])
            if isinstance(err, InfopipeError):
                raise err from None
            raise


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


def _current_run(previous: Path | None, key: str) -> Path | None:
    """The latest run, if it was built from exactly these inputs and is still whole."""
    if previous is None:
        return None
    try:
        record = json.loads((previous / "provenance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("run_key") != key:
        return None
    if not all((previous / o["path"]).is_file() for o in record.get("outputs", [])):
        return None
    return previous


def list_outputs(folder: Path, rendered: list[dict]) -> list[dict]:
    """Every file of the run with its hash, whether it is byte-reproducible, and what made it."""
    made_by = {r["path"]: r for r in rendered}
    out = []
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or p.name in ("provenance.json", "ro-crate-metadata.json"):
            continue
        rel = str(p.relative_to(folder))
        item = {"path": rel, "sha256": sha256_file(p), "bytes": p.stat().st_size,
                "reproducible": p.name not in NOT_REPRODUCIBLE}
        if rel in made_by:
            item.update({k: made_by[rel][k] for k in ("renderer", "renderer_version", "key", "reused")})
        out.append(item)
    return out


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
    entry = {
        "run_id": run_id, "project": paths.project, "status": "failed",
        "failed_step": err.step if isinstance(err, InfopipeError) else step, "pipeline_step": step,
        "started_at": started.isoformat(), "finished_at": now().isoformat(),
        "error": str(err).splitlines()[0] if str(err) else type(err).__name__,
        "problems": [p.to_dict() for p in problems[:200]], "problem_count": len(problems),
        "inputs": _input_hashes(inputs), "code": {"infopipe_version": __version__},
    }
    page = write_failure_page(paths, entry, problems[:200])
    if page is not None:
        entry["review_page"] = paths.shown(page)
        if isinstance(err, InfopipeError):
            err.review_page = page
    try:
        append_log(paths.log_file, entry)
    except OSError:
        pass  # the output folder itself is unwritable; the raised error already says so


def write_failure_page(paths: Paths, entry: dict, problems: list[Problem]) -> Path | None:
    """outputs/<project>/failed/<run-id>.html: a failed run has no run folder, but its reviewer
    still gets a page. None when it cannot be written (a full disk: the error already says why)."""
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
    """What is up to date and what is stale, and why (naming the file, table or declaration that
    changed since the latest run), without doing any work."""
    spec = load_spec(paths.spec_file)
    raw = raw_fingerprints(spec, paths.raw_dir)
    previous = latest_run(paths.project_out)
    record = json.loads((previous / "provenance.json").read_text(encoding="utf-8")) if previous else {}
    try:
        old_spec = load_spec(previous / "spec.yaml") if previous else None
    except InfopipeError:
        old_spec = None  # the run's spec no longer reads under this code: the code is the change
    keys = dataset_keys(spec, raw)
    changes = {name: _dataset_change(spec, old_spec, record, raw, name) for name in spec.datasets}
    datasets = []
    for name, key in keys.items():
        cached = (paths.project_processed / f"{name}-{key[:16]}.parquet").is_file()
        before = next((p for p in record.get("processed", []) if p["dataset"] == name), None)
        why = ("raw file missing or unreadable" if raw[name] is None else
               "up to date" if cached and before and before.get("key") == key else
               "typed table cached, not yet in a run" if cached else
               changes[name] if before else "never validated")
        datasets.append({"dataset": name, "stale": why != "up to date", "why": why})
    old = {f["id"]: f for f in record.get("figures", [])}
    figures = []
    compiled = compile_spec(spec)
    for fig in spec.figures:
        k = figure_key(spec, fig, keys)
        why = ("never computed" if fig.id not in old else
               "up to date" if old[fig.id].get("key") == k else
               _figure_change(spec, old_spec, fig, compiled.figure(fig.id).rule.reads, changes))
        figures.append({"figure": fig.id, "stale": why != "up to date", "why": why})
    current = _current_run(previous, run_key(spec, raw))
    return {"project": paths.project, "latest": previous.name if previous else None,
            "up_to_date": current is not None, "datasets": datasets, "figures": figures}


CODE_CHANGED = "infopipe's code or a package it uses changed"


def _dataset_change(spec: Spec, old_spec: Spec | None, record: dict, raw: dict, name: str) -> str:
    """What changed for one dataset since the run: its file, its declaration, a table it references."""
    ds = spec.datasets[name]
    recorded = {i.get("dataset"): i["sha256"] for i in record.get("inputs", [])}
    if name in recorded and recorded[name] != raw[name]:
        return f"its raw file changed: {ds.file}"
    if old_spec is not None and (name not in old_spec.datasets or
                                 old_spec.datasets[name].model_dump(mode="json") != ds.model_dump(mode="json")):
        return f"its declaration in the spec changed (datasets.{name})"
    linked = sorted({c.references[0] for c in ds.columns.values() if c.references} - {name})
    moved = [t for t in linked if t in recorded and recorded[t] != raw.get(t)]
    if moved:
        return f"a table it references changed: {', '.join(f'{t} ({spec.datasets[t].file})' for t in moved)}"
    return CODE_CHANGED


def _figure_change(spec: Spec, old_spec: Spec | None, fig, reads, changes: dict) -> str:
    """What changed for one figure: its declaration, the reporting period, or a table it reads."""
    if old_spec is not None:
        try:
            before = old_spec.figure(fig.id).model_dump(mode="json", by_alias=True)
        except KeyError:
            before = None
        if before != fig.model_dump(mode="json", by_alias=True):
            return f"its declaration in the spec changed (figure '{fig.id}')"
        if old_spec.period != spec.period:
            return "the reporting period changed"
    moved = [f"{d}: {changes[d]}" for d in reads if changes.get(d, CODE_CHANGED) != CODE_CHANGED]
    return f"a table it reads changed ({'; '.join(moved)})" if moved else CODE_CHANGED
