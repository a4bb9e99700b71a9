"""Figures: a rule's value, the claim the report printed, and the text the page prints.

Every figure (and every part of a breakdown) is computed from the data, checked against its claim
("more than 40" must be true of the value) and printed from its value by a template, so a new year's
data prints "more than 70" without an edit. present/page.py turns figures into panels.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import pandas as pd

from infopipe.concepts.claims import Claim, ClaimError, parse_claim
from infopipe.concepts.dates import is_date
from infopipe.concepts.verdicts import meaningful, shown, verdict
from infopipe.concepts.words import in_form
from infopipe.errors import InfopipeError, Problem
from infopipe.concepts.formats import FormatError, UncheckedPrint, check_printed, render_template
from infopipe.concepts.rules import DatabaseChanged, apply_rule, plain_value, rule_columns, select
from infopipe.data.parquet_sql import ParquetSql, ParquetTables, columns_of, parquet_backend
from infopipe.spec.compile import CompiledFigure, Filter, compile_spec
from infopipe.spec.model import FIGURE_REF, Spec

SAMPLE = 20  # record ids kept in figures.json; all of them go to lineage/<figure>.parquet


@dataclass(frozen=True)
class FigureResult:
    id: str
    label: str
    value: Any
    printed: str
    published: str | None
    claim_kind: str | None
    claim_meaning: str | None
    claim_holds: bool | None  # None: the report printed no claim (a breakdown's unprinted total)
    printed_holds: bool | None  # is the printed text itself true of the value?
    accepted_difference: str | None
    note: str | None
    panel: bool
    kind: str
    dataset: str
    rule: dict
    rule_in_words: str
    explanation: str
    record_count: int
    parent: str | None = None  # the breakdown this figure is a part of
    record_ids: pd.Series = field(default=None, compare=False, repr=False)
    records: pd.DataFrame = field(default=None, compare=False, repr=False)  # the fields the rule used
    line: int = 0
    mark: dict | None = None  # a chart's mark: key, label, series, partial, code (see marks.py)
    computed: dict | None = None  # where the value was computed: pandas, or a database and its query
    chart_notes: tuple = ()  # a chart: what its marks leave out or count apart

    @classmethod
    def from_dict(cls, data: dict) -> "FigureResult":
        names = {f.name for f in fields(cls)} - {"record_ids", "records"}
        out = {k: v for k, v in data.items() if k in names}
        out["chart_notes"] = tuple(out.get("chart_notes", ()))
        return cls(**out)

    @property
    def matches(self) -> bool:
        """The page prints exactly what the report printed."""
        return self.printed == self.published

    @property
    def difference_stale(self) -> bool:
        """An accepted difference whose claim and printed text now both hold: its reason is no
        longer true, and the spec should drop it (a warning, not a failure)."""
        return bool(self.accepted_difference) and self.claim_holds is not False and self.printed_holds is not False

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in (
            "id", "label", "value", "printed", "published", "matches", "claim_kind", "claim_meaning",
            "claim_holds", "printed_holds", "accepted_difference", "difference_stale", "note", "panel", "kind", "parent",
            "dataset", "rule", "rule_in_words", "explanation", "record_count")}
        if self.mark is not None:
            out["mark"] = self.mark
        if self.computed is not None:
            out["computed"] = self.computed
        if self.chart_notes:
            out["chart_notes"] = list(self.chart_notes)
        out["record_sample"] = [str(v) for v in self.record_ids.head(SAMPLE)] if self.record_ids is not None else []
        out["value"] = meaningful(self.value)  # what people read; the exact float is kept beside it
        if out["value"] != self.value:
            out["value_exact"] = self.value
        out["verdict"] = verdict(self).name
        return out


def _claim(text: str | None, tolerance: float, locale: str, dates: bool = False) -> Claim | None:
    return parse_claim(text, tolerance, locale, dates, nouns=True) if text is not None else None


def rule_frame(rule, tables: dict, lineage: list[str]) -> dict:
    """The tables with the rule's own dataset narrowed to the columns the rule and its lineage read,
    so selecting its records takes those columns only, not every column of a big table (the
    columns are shared, not copied)."""
    wanted = lineage + [p[0] for p in (rule.period, rule.base_period) if p]
    return {**tables, rule.dataset: tables[rule.dataset][list(dict.fromkeys(wanted))]}


def _result(fig: CompiledFigure, tables: dict, source: str, datasets: dict | None = None) -> FigureResult:
    decl, rule = fig.decl, fig.rule
    lineage = list(dict.fromkeys(  # the columns kept with its records
        rule_columns(rule, rule.primary_key) + ([rule.period[0]] if rule.period else [])
        + ([decl.breakdown.column] if decl.breakdown and decl.breakdown.top and fig.parent is None else [])
        + (["source"] if "source" in columns_of(tables, rule.dataset) else [])))
    result, computed = _computed(fig, tables, lineage, source, datasets or {})
    if result.value is None:
        raise InfopipeError("compute", [Problem(source, "no-records", f"figure '{fig.id}': no "
                                                f"records to compute {rule.describe()}", line=fig.line)])
    claim = _claim(fig.published, decl.tolerance, fig.locale, fig.dates)
    plain = ("{dates}" if isinstance(result.value, tuple) else "{date}") if is_date(result.value) else "{comma}"
    template = (decl.print_as if fig.parent is None else None) or (claim.print_template if claim else plain)
    try:
        printed = render_template(template, result.value, fig.locale)
        printed_holds = check_printed(template, result.value, decl.tolerance, fig.locale)
    except FormatError as err:
        check = "print-unchecked" if isinstance(err, UncheckedPrint) else "print-format"
        raise InfopipeError("compute", [Problem(source, check, f"figure '{fig.id}': {err}",
                                                line=fig.line, value=str(result.value))]) from None
    return FigureResult(
        id=fig.id, label=part_label(fig, printed, result.value), value=result.value, printed=printed, published=fig.published,
        claim_kind=claim.kind if claim else None, claim_meaning=claim.words() if claim else None,
        claim_holds=claim.holds(result.value) if claim else None,
        printed_holds=printed_holds,
        accepted_difference=decl.accepted_difference if fig.parent is None else None,  # the figure's reason
        note=decl.note if fig.parent is None else None,
        panel=decl.panel and fig.parent is None, kind=fig.kind,
        dataset=rule.dataset, rule=rule.to_dict(), rule_in_words=rule.describe() + (
            f"; place {fig.rank} when the values of '{decl.breakdown.column}' are ranked by this count over "
            f"the records of figure '{fig.parent}'" if fig.rank else ""),
        explanation=decl.explanation, record_count=len(result.record_ids), parent=fig.parent,
        record_ids=result.record_ids, line=fig.line, computed=computed,
        records=result.selected[lineage],
    )


def part_label(fig: CompiledFigure, printed: str, value) -> str:
    """A figure's label; a breakdown part's is its own `label`, else the breakdown's `labels` entry
    for its value (in the plural form its printed count takes), else the value as stored."""
    if fig.parent is None or fig.label:
        return fig.label
    said = fig.decl.breakdown.labels.get(str(fig.category))
    return in_form(said, printed, value, fig.locale) if said is not None else str(fig.category)


def _computed(fig: CompiledFigure, tables: dict, lineage: list[str], source: str, datasets: dict):
    """The rule's result, computed where its records live when the database can compute it exactly
    as pandas does (data/database.py), by DuckDB over a big table's Parquet file (data/parquet_sql.py),
    else in pandas; and where it was computed, for provenance."""
    rule = fig.rule
    if any(datasets[d].database is not None for d in rule.reads if d in datasets):
        from infopipe.data.database import rule_backend

        backend, why = rule_backend(rule, datasets, rule.period, rule.via_period)
    else:
        backend, why = parquet_backend(rule, tables, datasets, lineage, rule.period, rule.via_period)
    if not isinstance(backend, ParquetSql):  # pandas selects from the columns it needs only
        tables = rule_frame(rule, tables, lineage)
    try:
        result = apply_rule(rule, tables, rule.primary_key, rule.period, rule.via_period, backend)
    except DatabaseChanged as err:
        raise InfopipeError("compute", [Problem(source, "database-changed", f"figure '{fig.id}': {err}",
                                                line=fig.line)]) from None
    return result, {**result.computed, **({"why": why} if why else {})}


def compute_figure(fig: CompiledFigure, tables: dict, source: str, datasets: dict | None = None) -> list[FigureResult]:
    """A figure's result, then one result per breakdown part (a ranking's parts found in the data)
    or chart mark. `datasets` (the spec's) say which records live in a database."""
    parts = ranked(fig, tables, source) if any(p.rank for p in fig.parts) else fig.parts
    out = [_result(one, tables, source, datasets) for one in (fig, *parts)]
    if fig.decl.chart is not None:
        from infopipe.marks import compute_chart

        marks, notes = compute_chart(fig, tables, out[0], source)
        out = [replace(out[0], chart_notes=tuple(notes)), *(FigureResult(
            **{k: v for k, v in m.items() if k not in ("checked", "template")},
            printed_holds=_mark_printed_holds(fig, m, source)) for m in marks)]
    return out


def _mark_printed_holds(fig: CompiledFigure, mark: dict, source: str) -> bool:
    """A chart mark's printed text read back against what it is checked against (as a figure's)."""
    try:
        return check_printed(mark["template"], mark["checked"], fig.decl.tolerance, fig.locale)
    except FormatError as err:
        check = "print-unchecked" if isinstance(err, UncheckedPrint) else "print-format"
        raise InfopipeError("compute", [Problem(source, check, f"mark '{mark['id']}' of figure '{fig.id}': "
                                                f"{err}", line=fig.line)]) from None


def ranked(fig: CompiledFigure, tables: dict, source: str) -> list[CompiledFigure]:
    """A ranking's parts: the breakdown column's most frequent values among the figure's records,
    each a figure narrowed to its value and labelled by it. A value the report named at a place
    that the data ranks differently fails the run, and so does a tie the page would break by
    itself: at a named place, or at the last place shown (which value is in the top N)."""
    column = fig.decl.breakdown.column
    chosen = select(fig.rule, tables, fig.rule.period, fig.rule.via_period)[column].dropna()
    counts = [(plain_value(v), n) for v, n in sorted(chosen.value_counts().items(), key=lambda kv: (-kv[1], str(kv[0])))]
    fail = lambda check, words: InfopipeError("compute", [Problem(  # noqa: E731
        source, check, f"figure '{fig.id}': {words}", line=fig.line)])
    missing = [p for p in fig.parts[len(counts):] if p.expected is not None]
    if missing:
        raise fail("ranking-differs", f"the report puts {missing[0].expected!r} at place {missing[0].rank}, "
                   f"the data has only {len(counts)} values of '{column}' there")
    out = []
    for part, (value, n) in zip(fig.parts, counts):
        shown_last = part.rank == min(len(fig.parts), len(counts))
        for place, (other, m) in enumerate(counts, 1):  # a tie first: then the data puts no value at the place
            if m == n and other != value and (part.expected is not None or shown_last and place > part.rank):
                raise fail("ranking-tied", f"{value!r} (place {part.rank}) and {other!r} (place {place}) both "
                           f"count {m} in '{column}': the data does not rank them, so the page cannot say which "
                           "comes first; show fewer or more places (top)")
        if part.expected is not None and str(part.expected) != str(value):
            raise fail("ranking-differs", f"the report puts {part.expected!r} at place {part.rank}, the data "
                       f"puts {value!r} there")
        out.append(replace(part, category=value, rule=replace(part.rule, where=part.rule.where + (
            Filter(column, "equals", value),))))
    return out


def compute_figures(spec: Spec, tables: dict) -> list[FigureResult]:
    """Every figure of the spec, with notes filled in from other figures' printed text."""
    frames = tables if isinstance(tables, ParquetTables) else {n: t.frame for n, t in tables.items()}
    results = [r for fig in compile_spec(spec).figures
               for r in compute_figure(fig, frames, str(spec.path), spec.datasets)]
    if any(f.chart is not None for f in spec.figures):
        from infopipe.marks import check_unique_ids

        check_unique_ids(results, str(spec.path))
    return fill_notes(results)


def fill_notes(results: list[FigureResult]) -> list[FigureResult]:
    printed = {r.id: r.printed for r in results}
    return [replace(r, note=filled(r.note, printed)) if r.note else r for r in results]


def filled(note: str, printed: dict[str, str]) -> str:
    """A note with each {figure} replaced by that figure's printed text."""
    return FIGURE_REF.sub(lambda m: printed[m.group(1)], note)


def statements(spec: Spec, printed: dict[str, str], results: dict[str, dict] | None = None) -> dict[str, str]:
    """What the page says that holds each figure, in words: a sentence figure's sentence, a number's
    "15 recruits", a part's "6 online workshops" (or as its breakdown's `each` says it, "Tower, 499
    launches", with the label and value `results` holds); a figure drawn only inside another's
    sentence or note gets that sentence. Reviewers and readers of figures.csv name a figure by it."""
    from types import SimpleNamespace

    from infopipe.concepts.panels import list_segments, part_said

    said: dict[str, str] = {}
    figures = compile_spec(spec).figures
    for fig in figures:
        decl = fig.decl
        if decl.chart is not None:  # the chart prints its marks, never the total of its rule
            said[fig.id] = f"{fig.label}: a chart, one figure per mark"
            continue
        own = filled(decl.sentence, printed) if decl.sentence else f"{printed[fig.id]} {fig.label}".strip()
        if decl.note and not decl.sentence:
            own += f", {filled(decl.note, printed)}"
        said[fig.id] = own
        parts = []
        for part in (p for p in fig.parts if p.id in printed):  # a ranking may find fewer values than places
            known = (results or {}).get(part.id, {})
            parts.append(SimpleNamespace(printed=printed[part.id], label=known.get("label", part.label),
                                         value=known.get("value")))
            said[part.id] = printed[part.id].join(part_said(decl.breakdown, parts[-1], spec.locale)).strip()
        if fig.kind == "list":  # the page says the list, and its total only with show_total
            said[fig.id] = "".join(s.text for s in list_segments(decl, printed[fig.id], parts, spec.locale))
    hidden = {f.id for f in figures if not f.decl.panel}
    for fig in figures:  # a hidden figure is said where another figure's text names it (the first)
        for text in (fig.decl.sentence, fig.decl.note):
            for ref in FIGURE_REF.findall(text or ""):
                if ref in hidden and fig.decl.panel:
                    hidden.discard(ref)
                    said[ref] = said[fig.id]
    return said


def check_claims(spec: Spec, results: list[FigureResult]) -> None:
    """Fail when a value does not satisfy what the report printed, or the page would print
    something untrue, unless the spec accepts the difference with a reason."""
    problems = []
    for r in results:
        if r.accepted_difference:
            continue
        if r.claim_holds is False:
            check, message = "published-mismatch", (
                f"figure '{r.id}' computes to {shown(r.value)}, which does not satisfy what the report "
                f"printed, {r.published!r} ({r.claim_kind}: {r.claim_meaning}); fix the data, or add "
                "accepted_difference with the reason")
        elif r.printed_holds is False:
            check, message = "printed-false", (
                f"figure '{r.id}' would print {r.printed!r}, which is not true of its value "
                f"{shown(r.value)}: change its print template (e.g. 'more than {{below:10}}' instead "
                "of '{floor:10}')")
        else:
            continue
        problems.append(Problem(str(spec.path), check, message, line=r.line, value=r.printed))
    if problems:
        raise InfopipeError("check_published", problems)
