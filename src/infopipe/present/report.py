"""A static review page per run: the page image, every figure against the report (with its claim
when compute records one), the records behind each figure with their sources, validation results
and file hashes. No scripts, no network; a Jinja2 template with autoescape escapes all text.
"""

from __future__ import annotations

from pathlib import Path

from infopipe.present.templates import templates


def render_report(record: dict, evidence: dict[str, list[dict]], outputs: list[dict],
                  coverage: dict | None = None) -> str:
    """The review page's HTML. Figure dicts may be old (no claim) or new (claim_kind, claim_holds);
    `coverage` (coverage.json) adds the section on the published report's pages."""
    return templates().get_template("report.html.j2").render(
        record=record, figures=record["figures"], evidence=evidence, outputs=outputs, coverage=coverage)


def write_report(folder: Path, record: dict, evidence: dict[str, list[dict]], outputs: list[dict],
                 coverage: dict | None = None) -> Path:
    path = folder / "report.html"
    path.write_text(render_report(record, evidence, outputs, coverage), encoding="utf-8")
    return path
