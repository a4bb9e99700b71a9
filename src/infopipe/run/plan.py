"""The plan: every unit's content key and whether it can be reused, decided once, without doing the work.

Units are the typed tables (data/processed/), the figures (with their lineage files), the drawn files
and the run itself. The run executes the plan (each step reuses what the plan says it may), `status`
prints it, and the Prefect tasks cache on the same keys. A unit is reusable only when its key is
unchanged *and* the files it points at are still there: a cache hit that points at deleted files
is no hit.

A drawn file's key hashes its own source text (the panel's SVG), which only exists once the figures
are computed, so render computes those keys (present/render.py) and asks the plan for the previous
run's keys to compare with (`file_keys`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from infopipe.errors import InfopipeError, Problem
from infopipe.files import is_pattern, matching_files, resolve_inside, sha256_files, sha256_once
from infopipe.run import warm
from infopipe.run.paths import Paths
from infopipe.run.publish import committed_run, latest_run
from infopipe.run.steps import COMPUTE, VALIDATE, Step, all_versions, content_key
from infopipe.spec.compile import compile_spec
from infopipe.spec.model import Spec


@dataclass(frozen=True)
class Unit:
    """One unit of work: its key, whether the earlier result can be used as it is, and why."""

    name: str
    key: str
    reuse: bool
    why: str
    path: str = ""  # where the reusable result is (a typed table's Parquet file)
    ids: tuple[str, ...] = ()  # a figure: its id and its breakdown parts' ids

    @property
    def stale(self) -> bool:
        return self.why != "up to date"


@dataclass(frozen=True)
class Plan:
    project: str
    spec_sha256: str
    raw: dict[str, str | None]  # dataset -> its raw file's SHA-256 (None: missing or unreadable)
    files: dict[str, str]  # dataset -> its input as the log names it (raw folder/file, or connection:table)
    report: dict | None  # the published report the spec names, hashed like a raw file (None: none)
    tables: tuple[Unit, ...]
    figures: tuple[Unit, ...]
    run_key: str
    previous: str | None  # the latest run's folder
    current: str | None  # the latest run, when it was built from exactly these inputs and is whole
    force: bool = False
    raw_folder: str = "raw"
    old_figures: dict[str, dict] = field(default_factory=dict, repr=False)  # id -> its figures.json entry
    old_outputs: dict[str, str] = field(default_factory=dict, repr=False)  # path -> recorded key

    @property
    def inputs(self) -> list[dict]:
        """The inputs as a log entry names them: each raw file (path under the raw folder's name,
        and hash), then the published report when the spec names one."""
        return ([{"path": self.files[n], "sha256": h} for n, h in self.raw.items()]
                + ([{"path": self.report["path"], "sha256": self.report["sha256"]}] if self.report else []))

    def table(self, name: str) -> Unit:
        return next(u for u in self.tables if u.name == name)

    def figure(self, figure_id: str) -> Unit:
        return next(u for u in self.figures if u.name == figure_id)

    def cache_key(self, step: Step) -> str | None:
        """A step's cache key for Prefect: the keys of the units it makes, offered only for a step
        whose outputs live outside the run folder and only when the plan reuses every one of them,
        so a cached result can never point at a deleted file."""
        units = {VALIDATE.name: self.tables}.get(step.name, ())
        if self.force or not step.cached or not units or not all(u.reuse for u in units):
            return None
        return content_key(step.name, [(u.name, u.key) for u in units])

    def file_keys(self) -> dict[str, str]:
        """Each file of the previous run with the key it was drawn with (none when forced)."""
        return {} if self.force else dict(self.old_outputs)

    def status(self) -> dict:
        return {"project": self.project, "latest": Path(self.previous).name if self.previous else None,
                "up_to_date": self.current is not None,
                "datasets": [{"dataset": u.name, "stale": u.stale, "why": u.why} for u in self.tables],
                "figures": [{"figure": u.name, "stale": u.stale, "why": u.why} for u in self.figures]}


# ---------------------------------------------------------------- keys

def raw_fingerprints(spec: Spec, raw_dir: Path) -> dict[str, str | None]:
    """Each dataset's raw file hash (a database dataset: its rows'); None where it cannot be hashed
    (ingest says why)."""
    out = {}
    for ds in spec.datasets.values():
        try:
            if ds.database is not None:  # the rows' content hash, read now (kept for validate)
                from infopipe.data.database import fingerprint

                out[ds.name] = fingerprint(ds)
                continue
            if is_pattern(ds.file):  # a folder of Parquet files: one hash over all of them
                out[ds.name] = sha256_files(matching_files(raw_dir, ds.file, ds.file, ds.name))
                continue
            path = resolve_inside(raw_dir, ds.file, ds.file)
            if not path.is_file():
                out[ds.name] = None
                continue
            if path.stat().st_size >= warm.BIG:
                warm.import_meanwhile()
            out[ds.name] = sha256_once(path)
        except (InfopipeError, OSError, RuntimeError):  # ingest names the cause
            out[ds.name] = None
    return out


def dataset_keys(spec: Spec, raw: dict[str, str | None]) -> dict[str, str]:
    """A typed table's key: its raw bytes and declaration, and those of the tables it references."""
    keys = {}
    for name, ds in spec.datasets.items():
        linked = sorted({c.references[0] for c in ds.columns.values() if c.references} - {name})
        money = any(c.type == "money" for c in ds.columns.values())  # read in the locale's style
        keys[name] = VALIDATE.key(raw[name], ds.model_dump(mode="json"), spec.max_file_bytes,
                                  [(t, raw.get(t), spec.datasets[t].model_dump(mode="json")) for t in linked if t in spec.datasets],
                                  *([spec.locale] if money and spec.locale != "en_GB" else []))
    return keys


def figure_key(spec: Spec, figure_id: str, keys: dict[str, str]) -> str:
    """A figure's key: its own declaration, the reporting period, the locale it prints in, and the
    tables it reads."""
    fig = compile_spec(spec).figure(figure_id)
    return COMPUTE.key(fig.decl.model_dump(mode="json", by_alias=True), spec.period and
                       spec.period.model_dump(mode="json"), [keys.get(d) for d in fig.rule.reads], spec.locale)


def run_key(spec: Spec, raw: dict[str, str | None], report: dict | None = None) -> str:
    """Everything a run depends on: the spec's bytes, every raw file, the published report (when
    the spec names one), all of infopipe's code, the versions and the renderers with their fonts."""
    from infopipe.present.render import renderers_fingerprint

    charts = any(f.chart is not None for f in spec.figures)  # then also plotly, kaleido and Chromium
    return content_key(spec.sha256, raw, all_versions(), renderers_fingerprint(spec.theme.font_family, charts),
                       *([report["sha256"]] if report else []))


REPORT_FOLDER = "published"  # the run's copy of the published report: inputs/published/<name>


def report_input(spec: Spec, paths: Paths) -> dict | None:
    """The published report the spec names, hashed like every raw file, as the run records it;
    None when the spec names no report file. A named file that is not there is bad input."""
    path = paths.report_file(spec)
    if path is None:
        return None
    if not path.is_file():
        where = f"; download it from {spec.report.url}" if spec.report.url else ""
        raise InfopipeError("spec", [Problem(spec.report.file, "report-missing", "the published report "
                                             f"that the spec names (report.file) is not there{where}")])
    name = f"{REPORT_FOLDER}/{path.name}"
    return {"dataset": None, "kind": "published report", "path": name, "file": name,
            "location": paths.shown(path) if paths.report else spec.report.file,
            "sha256": sha256_once(path), "bytes": path.stat().st_size, "url": spec.report.url,
            "pages": list(spec.report.pages), "source": str(path)}


def input_path(raw_dir: Path, ds) -> str:
    """A dataset's input as records name it: raw folder/file, or the database's connection:table."""
    return f"{raw_dir.name}/{ds.file}" if ds.file else ds.source


def raw_bytes(raw_dir: Path, ds) -> int:
    if not ds.file:
        return 0
    if is_pattern(ds.file):
        return sum(path.stat().st_size for _, path in matching_files(raw_dir, ds.file, ds.file, ds.name))
    return (raw_dir / ds.file).stat().st_size


def table_path(paths: Paths, name: str, key: str) -> Path:
    return paths.project_processed / f"{name}-{key[:16]}.parquet"


# ---------------------------------------------------------------- the plan

def make_plan(paths: Paths, spec: Spec, force: bool = False, report_missing_is_bad: bool = True) -> Plan:
    """Every unit's key and whether it can be reused, from the spec, the raw files' hashes, the
    published report, the typed tables on disk and the latest run. A named report that is missing
    is bad input, unless only asked for the status (a run then says what is missing)."""
    raw = raw_fingerprints(spec, paths.raw_dir)
    try:
        report = report_input(spec, paths)
    except InfopipeError:
        if report_missing_is_bad:
            raise
        report = None
    previous = latest_run(paths.project_out)
    record = read_record(previous) if previous else {}
    keys = dataset_keys(spec, raw)
    why_changed = Changes(spec, previous, record, raw)
    tables = []
    for name, key in keys.items():
        cached = table_path(paths, name, key)
        there = cached.is_file()
        before = next((p for p in record.get("processed", []) if p["dataset"] == name), None)
        why = ("raw file missing or unreadable" if raw[name] is None else
               "up to date" if there and before and before.get("key") == key else
               "typed table cached, not yet in a run" if there else
               why_changed.dataset(name) if before else "never validated")
        tables.append(Unit(name, key, there and raw[name] is not None and not force, why, str(cached)))
    old = {f["id"]: f for f in figures_json(previous)} if previous else {}
    figures = []
    for fig in compile_spec(spec).figures:
        key = figure_key(spec, fig.id, keys)
        ids = (fig.id, *(p.id for p in fig.parts))
        if fig.decl.chart is not None:  # a chart's marks are found in the data: those it had
            ids += tuple(i for i, e in old.items() if e.get("parent") == fig.id)
        whole = all(old.get(i, {}).get("key") == key and (previous / old[i]["lineage"]["path"]).is_file() for i in ids)
        why = ("never computed" if fig.id not in old else
               "up to date" if old[fig.id].get("key") == key and whole else
               "its lineage file is missing" if old[fig.id].get("key") == key else
               why_changed.figure(fig.decl, fig.rule.reads))
        figures.append(Unit(fig.id, key, whole and not force, why, ids=ids))
    key = run_key(spec, raw, report)
    current = None if force else current_run(committed_run(paths.project_out, paths.log_file), key, record)
    return Plan(paths.project, spec.sha256, raw, {n: input_path(paths.raw_dir, d) for n, d in spec.datasets.items()}, report,
                tuple(tables), tuple(figures), key, str(previous) if previous else None,
                str(current) if current else None, force, paths.raw_dir.name, {} if force else old,
                {o["path"]: o.get("key") for o in record.get("outputs", [])})


CODE_CHANGED = "infopipe's code or a package it uses changed"


class Changes:
    """Why a unit is stale, in words a person can act on: which raw file, which declaration in
    the spec, which referenced table, the period, or else the code. The latest run's own copy of
    the spec is read only when something is stale."""

    def __init__(self, spec: Spec, previous: Path | None, record: dict, raw: dict):
        self.spec, self.previous, self.raw = spec, previous, raw
        self.recorded = {i.get("dataset"): i["sha256"] for i in record.get("inputs", []) if i.get("dataset")}
        self._old = False

    @property
    def old_spec(self) -> Spec | None:
        if self._old is False:
            from infopipe.spec.model import load_spec

            try:
                self._old = load_spec(self.previous / "spec.yaml") if self.previous else None
            except InfopipeError:
                self._old = None  # the run's spec no longer reads under this code: the code is the change
        return self._old

    def dataset(self, name: str) -> str:
        ds, old = self.spec.datasets[name], self.old_spec
        if name in self.recorded and self.recorded[name] != self.raw[name]:
            return f"its raw file changed: {ds.file}"
        if old is not None and (name not in old.datasets or
                                old.datasets[name].model_dump(mode="json") != ds.model_dump(mode="json")):
            return f"its declaration in the spec changed (datasets.{name})"
        linked = sorted({c.references[0] for c in ds.columns.values() if c.references} - {name})
        moved = [t for t in linked if t in self.recorded and self.recorded[t] != self.raw.get(t)]
        if moved:
            return "a table it references changed: " + ", ".join(f"{t} ({self.spec.datasets[t].file})" for t in moved)
        return CODE_CHANGED

    def figure(self, decl, reads) -> str:
        old = self.old_spec
        if old is not None:
            try:
                before = old.figure(decl.id).model_dump(mode="json", by_alias=True)
            except KeyError:
                before = None
            if before != decl.model_dump(mode="json", by_alias=True):
                return f"its declaration in the spec changed (figure '{decl.id}')"
            if old.period != self.spec.period:
                return "the reporting period changed"
        moved = [f"{d}: {self.dataset(d)}" for d in reads if d in self.spec.datasets and self.dataset(d) != CODE_CHANGED]
        return f"a table it reads changed ({'; '.join(moved)})" if moved else CODE_CHANGED


def current_run(previous: Path | None, key: str, record: dict) -> Path | None:
    """The latest run, if it was built from exactly these inputs and is still whole."""
    if previous is None or record.get("run_key") != key:
        return None
    if not all((previous / o["path"]).is_file() for o in record.get("outputs", [])):
        return None
    return previous


def read_record(run: Path) -> dict:
    try:
        return json.loads((run / "provenance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def figures_json(run: Path) -> list[dict]:
    try:
        return json.loads((run / "figures.json").read_text(encoding="utf-8"))["figures"]
    except (OSError, ValueError, KeyError):
        return []
