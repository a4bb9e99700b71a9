"""The pipeline's steps, each declared once: what it does, what it reads and writes in a run folder,
and which packages shape its output.

Everything else derives from these declarations: content keys (a step's key hashes its inputs, the
spec part it depends on, the infopipe version and these package versions), the timings in
provenance.json, the RO-Crate's HowToSteps and actions, and the Prefect tasks (flows/).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from infopipe import __version__


@dataclass(frozen=True)
class Step:
    name: str
    does: str
    reads: tuple[str, ...]  # run-folder paths (or prefixes) it reads
    writes: tuple[str, ...]  # run-folder paths (or prefixes) it writes
    packages: tuple[str, ...] = ()  # whose versions shape its output

    def key(self, *parts) -> str:
        """The content key of one unit of this step's work: its inputs, spec part and versions."""
        return content_key(self.name, code_version(), versions(self.packages), *parts)


STEPS: dict[str, Step] = {s.name: s for s in (
    Step("spec", "read the spec and check every value before any data is read", ("spec.yaml",), (),
         ("pydantic", "pyyaml")),
    Step("validate", "read each raw file column-wise, check every cell, column and reference, and "
         "keep the typed table as Parquet (reused while its raw file and declaration are unchanged)",
         ("inputs/", "spec.yaml"), (), ("pandas", "pyarrow", "pandera", "numpy", "python-calamine")),
    Step("compute", "count every figure by its rule, check it against the claim the report printed, "
         "and print it from its value; keep each figure's records as Parquet",
         ("spec.yaml",), ("figures.json", "lineage/"), ("pandas", "pyarrow", "numpy", "babel", "num2words")),
    Step("render", "draw each panel and the page as SVG, rasterise PNGs and the PDF from that SVG, "
         "write the alt texts and the gallery (each file reused while its key is unchanged)", ("figures.json", "spec.yaml"),
         ("panels/", "page.", "alt-text.json", "index.html"),
         ("resvg-py", "cairosvg", "pikepdf", "jinja2", "fonttools")),
    Step("publish", "write the run's own copies of its spec and inputs (the published report too), "
         "read the report's pages back and match every number printed there (coverage), and write the "
         "review page", ("figures.json", "lineage/", "panels/", "page."),
         ("report.html", "spec.yaml", "inputs/", "coverage.json"), ("jinja2", "pdfplumber")),
    Step("record", "write provenance.json and the RO-Crate that describe the run", ("",),
         ("provenance.json", "ro-crate-metadata.json"), ("rocrate",)),
)}


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


@lru_cache(maxsize=None)
def code_version() -> str:
    """infopipe's version and a hash of its own source and templates, so that changed code (not
    only a new release) makes keys change, as OWID's etl checksums a step's own files."""
    package = Path(__file__).resolve().parents[1]  # the whole infopipe package
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".j2", ".yaml") and p.is_file()):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:16]}"
