"""The whole run, as one sequence of plain steps: spec, ingest, validate, compute, render, publish.

`step` decides how each step is called: directly (tests, the CLI) or as a Prefect task (flows/).
Whatever happens, the run ends with one entry in the project's provenance log, and `latest` only
ever moves to a complete run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .errors import InfopipeError, Problem
from .figures import FigureResult, check_published, compute_figures
from .ingest import read_raw_tables, sha256_file
from .provenance import append_log, environment, git_state, write_json
from .publish import (STAGING_PREFIX, discard_run, finish_run, project_lock, staging_folder)
from .crate import write_crate
from .panels import Layout, Page, Panel, Theme
from .render import render_page
from .report import write_report
from .rules import evidence_rows
from .spec import PLACEHOLDER, Spec, load_spec, spec_path
from .validate import ValidTable, validate_tables, validation_summary, write_processed

Step = Callable[..., Any]
NOT_REPRODUCIBLE = ("report.html", "provenance.json", "ro-crate-metadata.json")


def call(name: str, fn: Step, *args, **kwargs):
    """Run a step as a plain function call."""
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
    def log_file(self) -> Path:
        return self.project_out / "provenance.jsonl"


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def validate_only(paths: Paths, today: dt.date | None = None) -> dict:
    """Check spec and raw data without writing anything; return per-dataset results."""
    spec = load_spec(paths.spec_file)
    tables = validate_tables(spec, read_raw_tables(spec, paths.raw_dir), today)
    return {"spec": str(paths.spec_file), "datasets": validation_summary(tables)}


def run(paths: Paths, step: Step = call, today: dt.date | None = None, lock_wait: float = 0) -> Path:
    """Build one run of the project; return its folder. Raises InfopipeError on bad input."""
    started = now()
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    timings: list[dict] = []
    state: dict[str, Any] = {"step": "spec"}

    def timed(name: str, fn: Step, *args, **kwargs):
        state["step"] = name
        began, started_at = time.perf_counter(), now().isoformat()
        result = step(name, fn, *args, **kwargs)
        timings.append({"step": name, "started_at": started_at, "ended_at": now().isoformat(),
                        "seconds": round(time.perf_counter() - began, 3)})
        return result

    with project_lock(paths.project_out, lock_wait):
        for stale in (paths.project_out / "runs").glob(f"{STAGING_PREFIX}*"):
            discard_run(stale)  # left by a run that was killed; never a good run
        staging = None
        inputs: list[dict] = []
        try:
            spec = timed("spec", load_spec, paths.spec_file)
            raw = timed("ingest", read_raw_tables, spec, paths.raw_dir)
            inputs = [{**t.file_info(), "location": paths.shown(t.path)} for t in raw.values()]
            tables = timed("validate", validate_tables, spec, raw, today)
            processed = timed("write_processed", write_processed, tables, paths.processed_dir / paths.project)
            processed = [{**p, "path": paths.shown(Path(p["path"]))} for p in processed]
            results = timed("compute", compute_figures, spec, tables)
            timed("check_published", check_published, spec, results)
            staging = staging_folder(paths.project_out, run_id)
            timed("render", render_outputs, results, spec, staging)
            record = {
                "run_id": run_id, "project": paths.project, "status": "succeeded",
                "started_at": started.isoformat(), "code": code_info(paths.root),
                "environment": environment(), "spec": spec_info(spec, paths),
                "raw_dir": paths.shown(paths.raw_dir), "inputs": inputs, "inputs_digest": inputs_digest(spec, inputs),
                "validation": validation_summary(tables), "processed": processed,
                "figures": [lineage(r, raw) for r in results],
            }
            timed("publish", write_run_files, record, results, spec, tables, staging)
            finish_record(record, staging, timings)
            final = finish_run(staging, paths.project_out, run_id)
            staging = None
            append_log(paths.log_file, log_entry(record, final))
            return final
        except BaseException as err:
            discard_run(staging)
            _log_failure(paths, run_id, started, state["step"], err, inputs)
            raise


def render_outputs(results: list[FigureResult], spec: Spec, folder: Path) -> list[Path]:
    outputs, _ = render_page(page_from_figures(results, spec), folder)
    return [folder / out.path for out in outputs]


def page_from_figures(results: list[FigureResult], spec: Spec) -> Page:
    """Stand-in until compute builds Panels (issue 8): a number panel per figure, a sub-count when
    its note names another figure."""
    printed = {r.id: r.printed for r in results}
    palette = tuple(spec.theme["palette"])
    panels = []
    for i, r in enumerate(r for r in results if r.panel):
        named = PLACEHOLDER.findall(spec.figure(r.id).note or "")
        note = r.note or ""
        panels.append(Panel(id=r.id, kind="subcount" if named else "number", headline=r.printed,
                            label=r.label, note=note, note_figure=printed[named[0]] if named else "",
                            alt=", ".join(t for t in (f"{r.printed} {r.label}", note) if t),
                            icon=spec.icons.get(r.id, ""), color=palette[i % len(palette)]))
    t = spec.theme
    theme = Theme(font_family=t["font_family"], background=t["background"], text=t["text"],
                  panel_background=t["panel_background"], muted=t["muted"], palette=palette)
    return Page(spec.title, spec.subtitle, spec.credit, tuple(panels), theme, Layout(**spec.page))


def code_info(root: Path) -> dict:
    return {"infopipe_version": __version__, **git_state(root)}


def spec_info(spec: Spec, paths: Paths) -> dict:
    return {"path": paths.shown(spec.path), "sha256": spec.sha256}


def inputs_digest(spec: Spec, inputs: list[dict]) -> str:
    """One hash for 'the same inputs': the spec and every raw file."""
    text = spec.sha256 + "".join(f"{i['path']}:{i['sha256']}" for i in sorted(inputs, key=lambda i: i["path"]))
    return hashlib.sha256(text.encode()).hexdigest()


def lineage(result: FigureResult, raw: dict) -> dict:
    table = raw[result.dataset]
    return {**result.to_dict(), "input": {"path": table.name, "sha256": table.sha256}}


def write_run_files(record: dict, results: list[FigureResult], spec: Spec,
                    tables: dict[str, ValidTable], folder: Path) -> None:
    """The run's own copy of its spec and inputs, figures.json and the review page."""
    shutil.copyfile(spec.path, folder / "spec.yaml")
    (folder / "inputs").mkdir()
    for table in tables.values():
        shutil.copyfile(table.raw.path, folder / "inputs" / table.raw.path.name)
    write_json(folder / "figures.json", {
        "project": spec.project, "spec_sha256": spec.sha256,
        "figures": [r.to_dict() for r in results],
    })
    evidence = {r.id: evidence_rows(spec.figure(r.id).rule, tables[r.dataset].frame,
                                    tables[r.dataset].spec.primary_key, r.record_ids)
                for r in results}
    write_report(folder, record, evidence, list_outputs(folder))


def finish_record(record: dict, folder: Path, timings: list[dict]) -> None:
    """Close the record: end time, step timings, every output's hash; then the RO-Crate."""
    record["finished_at"] = now().isoformat()
    record["steps"] = timings
    record["outputs"] = list_outputs(folder)
    write_json(folder / "provenance.json", record)
    write_crate(folder, record)


def list_outputs(folder: Path) -> list[dict]:
    return [{"path": str(p.relative_to(folder)), "sha256": sha256_file(p), "bytes": p.stat().st_size,
             "reproducible": p.name not in NOT_REPRODUCIBLE}
            for p in sorted(folder.rglob("*")) if p.is_file()]


def log_entry(record: dict, final: Path) -> dict:
    """The log keeps what is needed to check the run later without trusting the run folder."""
    return {
        "run_id": record["run_id"], "project": record["project"], "status": "succeeded",
        "started_at": record["started_at"], "finished_at": record["finished_at"],
        "run_folder": str(final), "code": record["code"], "spec": record["spec"],
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
        "run_id": run_id, "project": paths.project, "status": "failed", "failed_step": step,
        "started_at": started.isoformat(), "finished_at": now().isoformat(),
        "error": str(err).splitlines()[0] if str(err) else type(err).__name__,
        "problems": [p.to_dict() for p in problems[:200]], "problem_count": len(problems),
        "inputs": _input_hashes(inputs), "code": code_info(paths.root),
    }
    try:
        append_log(paths.log_file, entry)
    except OSError:
        pass  # the output folder itself is unwritable; the raised error already says so
