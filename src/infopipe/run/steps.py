"""The pipeline's steps, each declared once: what it does, the paths it reads and writes, the packages
and the infopipe modules that shape its output, its time limit and its retries.

Everything else derives from these declarations: the order of the run and the Prefect tasks
(pipeline.py and flow.py iterate STEPS; run/work.py holds what each step does), content keys (a
unit's key hashes its inputs, the spec part it depends on, the source of the code its step runs and
the versions of its packages; run/plan.py), the timings in provenance.json and the RO-Crate's
HowToSteps and actions (crate.py).

Paths are written relative to the infopipe root: `projects/<project>/...`, `data/raw/<project>/...`,
`data/processed/<project>/...`, and `<run>/...` for the run's own folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from infopipe import __version__

PACKAGE = Path(__file__).resolve().parents[1]  # the whole infopipe package
RUN = "<run>/"


@dataclass(frozen=True)
class Step:
    name: str
    does: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    packages: tuple[str, ...] = ()  # whose versions shape its output
    code: tuple[str, ...] = ()  # infopipe modules whose source (and all they import) shapes its output
    timeout: float | None = None  # seconds; a Prefect task past it is stopped
    retries: int = 0
    retry_on: frozenset[str] = frozenset()  # problem checks worth another try (never bad input)
    cached: bool = False  # its outputs live outside the run folder, so Prefect may cache it on its key

    def key(self, *parts) -> str:
        """The content key of one unit of this step's work: its inputs, spec part, code and versions."""
        return content_key(self.name, code_version(self.code), versions(self.packages), *parts)

    @property
    def opens_run(self) -> bool:
        """Does it write into the run's own folder (so the staging folder must exist first)?"""
        return any(w.startswith(RUN) for w in self.writes)

    def in_run(self, paths: tuple[str, ...]) -> list[str]:
        """The declared paths as the run folder holds them (the run keeps its own copies of the spec
        and the raw files), for the RO-Crate; typed tables are not copied into a run."""
        out = []
        for p in paths:
            if p.startswith(RUN):
                out.append(p[len(RUN):])
            elif p.startswith("projects/"):
                out.append("spec.yaml")
            elif p.startswith("data/raw/"):
                out.append("inputs/")
            elif p == "<report.file>":  # the published report the spec names, wherever it is
                out.append("inputs/published/")
        return out


SPEC = Step("spec", "read the spec and check every value before any data is read; hash the raw "
            "files and plan the run (every unit's key, and what can be reused)",
            ("projects/<project>/spec.yaml", "data/raw/<project>/"), (), ("pydantic", "pyyaml"),
            ("infopipe.spec.compile",))
VALIDATE = Step("validate", "read each raw file column-wise, check every cell, column and reference, and "
                "keep the typed table as Parquet (reused while its raw file and declaration are unchanged)",
                ("projects/<project>/spec.yaml", "data/raw/<project>/"), ("data/processed/<project>/",),
                ("pandas", "pyarrow", "pandera", "numpy", "python-calamine"),
                ("infopipe.data.ingest", "infopipe.data.validate"), cached=True)
COMPUTE = Step("compute", "count every figure by its rule, check it against the claim the report printed, "
               "and print it from its value; keep each figure's records as Parquet",
               ("projects/<project>/spec.yaml", "data/processed/<project>/"), (RUN + "figures.json", RUN + "lineage/"),
               ("pandas", "pyarrow", "numpy", "babel", "num2words"), ("infopipe.compute",))
RENDER = Step("render", "draw each panel and the page as SVG, rasterise PNGs and the PDF from that SVG, "
              "write the alt texts and the gallery (each file reused while its key is unchanged)",
              (RUN + "figures.json", "projects/<project>/spec.yaml"),
              (RUN + "panels/", RUN + "page.", RUN + "alt-text.json", RUN + "index.html"),
              ("resvg-py", "cairosvg", "pikepdf", "jinja2", "fonttools"), ("infopipe.present.render", "infopipe.present.page"),
              timeout=float(os.environ.get("INFOPIPE_RENDER_TIMEOUT", "600")), retries=1,
              retry_on=frozenset({"render-timeout"}))  # a render the clock stopped (a loaded machine)
PUBLISH = Step("publish", "write the run's own copies of its spec and inputs (the published report too), "
               "read the report's pages back and match every number printed there (coverage), and write the "
               "review page", (RUN + "figures.json", RUN + "lineage/", RUN + "panels/", RUN + "page.", "<report.file>"),
               (RUN + "report.html", RUN + "spec.yaml", RUN + "inputs/", RUN + "coverage.json"), ("jinja2", "pdfplumber"),
               ("infopipe.present.report", "infopipe.coverage"))
RECORD = Step("record", "write provenance.json and the RO-Crate that describe the run", (RUN,),
              (RUN + "provenance.json", RUN + "ro-crate-metadata.json"), ("rocrate",), ("infopipe.run.crate",))

STEPS: dict[str, Step] = {s.name: s for s in (SPEC, VALIDATE, COMPUTE, RENDER, PUBLISH, RECORD)}


def content_key(*parts) -> str:
    """SHA-256 of the parts as canonical JSON: equal inputs, equal key."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=None)
def versions(packages: tuple[str, ...]) -> dict[str, str | None]:
    out = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def all_versions() -> dict[str, str | None]:
    """Every package any step declares, for the run's key and its provenance record."""
    names = sorted({p for s in STEPS.values() for p in s.packages})
    return {"infopipe": code_version(), **versions(tuple(names))}


IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(infopipe(?:\.\w+)*)[ \t]+import[ \t]+(?:\(([^)]*)\)|([\w \t,]+))"
                    r"|import[ \t]+(infopipe(?:\.\w+)+))", re.MULTILINE)  # every import of an infopipe module, lazy ones (indented) too


@lru_cache(maxsize=None)
def code_version(modules: tuple[str, ...] = ()) -> str:
    """infopipe's version and a hash of its own source, so that changed code (not only a new
    release) changes keys, as OWID's etl checksums a step's own files.

    With `modules`, only their source and that of every infopipe module they import, transitively
    (templates with the module that loads them): an edit to the drawing does not redo the counting.
    Without, the whole package and its templates (a run's key: the run records the code it ran)."""
    if modules:
        files = sorted(_closure(modules))
    else:
        files = sorted(p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".j2", ".yaml") and p.is_file())
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:16]}"


def _module_file(name: str) -> Path | None:
    parts = name.split(".")[1:]
    for candidate in (PACKAGE.joinpath(*parts).with_suffix(".py"), PACKAGE.joinpath(*parts, "__init__.py")):
        if parts and candidate.is_file():
            return candidate
    return None


def _closure(modules: tuple[str, ...]) -> set[Path]:
    """The files of `modules` and of every infopipe module they import (lazy imports too).

    Read with a pattern, not `ast`: keys are computed in Prefect's threads too, and CPython 3.11's
    ast.parse can fail when two threads parse at once. A docstring that looks like an import only
    adds a file to the key, which is safe."""
    seen: set[Path] = set()
    todo = [f for f in map(_module_file, modules) if f]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        text = path.read_text(encoding="utf-8")
        if (path.parent / "templates").is_dir() and "templates" in text:
            seen |= set((path.parent / "templates").glob("*.j2"))
        for base, grouped, names, plain in IMPORT.findall(text):
            found = [plain] if plain else [base, *(f"{base}.{n}" for n in re.split(r"[\s,]+", grouped or names) if n)]
            todo += [f for f in map(_module_file, (n for n in found if n.startswith("infopipe."))) if f]
    return seen
