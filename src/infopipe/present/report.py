"""A static review page per run: the page image, every figure against the report (with its claim
when compute records one), the records behind each figure with their sources, validation results
and file hashes. No scripts, no network; a Jinja2 template with autoescape escapes all text.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from infopipe.concepts.verdicts import KINDS, meaningful, shown, summary, verdict
from infopipe.present.templates import templates

CSV_COLUMNS = ("id", "statement", "printed", "value", "claim", "holds", "verdict", "records")


def render_report(record: dict, evidence: dict[str, list[dict]], outputs: list[dict],
                  coverage: dict | None = None) -> str:
    """The review page's HTML: a one-line verdict and the figures table first (each figure named by
    its id and statement, with the verdict every output shares), then the page and the records;
    `coverage` (coverage.json) adds the section on the published report's pages."""
    figures = record["figures"]
    marks = Counter(f["parent"] for f in figures if f.get("mark"))  # a chart prints these, not its total
    rows = [{"figure": f, "verdict": verdict(f), "value": shown(f.get("value")), "marks": marks[f["id"]]}
            for f in figures]
    return templates().get_template("report.html.j2").render(
        record=record, figures=figures, rows=rows, evidence=evidence, outputs=outputs, coverage=coverage,
        summary=summary(figures), failing=any(r["verdict"].level == "fail" for r in rows), kinds=KINDS.values())


def write_report(folder: Path, record: dict, evidence: dict[str, list[dict]], outputs: list[dict],
                 coverage: dict | None = None) -> Path:
    path = folder / "report.html"
    path.write_text(render_report(record, evidence, outputs, coverage), encoding="utf-8")
    return path


def figures_csv(figures: list[dict]) -> str:
    """The data behind the graphic, one row per figure, for a spreadsheet or a newsroom's table:
    id, statement, printed, value (at its meaningful precision), claim (what the report printed),
    holds (yes, no, or empty when there is no claim), verdict, records (how many it counts)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for f in figures:
        holds = f.get("claim_holds")
        writer.writerow([f["id"], f.get("statement", ""), f.get("printed", ""), meaningful(f.get("value")),
                         f.get("published") or "", "" if holds is None else "yes" if holds else "no",
                         verdict(f).words, f.get("record_count", "")])
    return out.getvalue()


def write_figures_csv(folder: Path, figures: list[dict]) -> Path:
    path = folder / "figures.csv"
    path.write_text(figures_csv(figures), encoding="utf-8")
    return path


def render_failure_page(entry: dict, problems: list, latest: str | None) -> str:
    """The page of a failed run (its log entry and its Problems): the one-line error first, then
    every problem with its place (file, sheet and cell, row, line, column), and what stays published."""
    rows = [{"file": p.file, "check": p.check, "message": p.message, "value": p.value,
             "where": ", ".join(w for w in (
                 f"sheet {p.sheet!r}" if p.sheet is not None else "", f"cell {p.cell}" if p.cell else "",
                 f"row {p.row}" if p.row is not None else "", f"line {p.line}" if p.line is not None else "",
                 f"column '{p.column}'" if p.column is not None else "") if w)} for p in problems]
    return templates().get_template("failed.html.j2").render(entry=entry, problems=rows, latest=latest)
