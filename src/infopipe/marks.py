"""A chart's marks: one figure per bar, point, slice or country, each counted by the chart's rule.

A mark's rule is the chart's rule narrowed to its group (`by.column = key`, a date range for a time
bucket, `series.column = value`), so each mark has what every figure has: a value computed from the
records, its lineage (exactly the records of its group), a recount from them, its rule in words and,
where the report printed it, a claim. The marks are found from the data (the distinct keys), or, for
time buckets, from the reporting period: every year, quarter or month in it is a mark, so an empty
one is drawn as 0 rather than left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Callable

import pandas as pd

from infopipe.concepts.claims import parse_claim
from infopipe.concepts.formats import FormatError, render_template
from infopipe.concepts.rules import FILTERS, apply_rule, rule_columns, select
from infopipe.errors import InfopipeError, Problem
from infopipe.spec.charts import ChartSpec, Countries, mark_slug
from infopipe.spec.compile import CompiledFigure, CompiledRule, Filter

SHARE_PRINT = "{percent:0}"


# ---------------------------------------------------------------- time buckets

@dataclass(frozen=True)
class Bucket:
    """One year, quarter or month of a date column, clipped to the reporting period."""

    key: str  # "2019", "2019-Q1", "2019-01"
    label: str  # "2019", "2019 Q1", "Jan 2019"
    start: dt.date
    end: dt.date  # inclusive
    partial: bool  # the period covers only part of it


def _bucket_of(day: dt.date, every: str) -> tuple[str, str, dt.date, dt.date]:
    if every == "year":
        return str(day.year), str(day.year), dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    if every == "quarter":
        q = (day.month - 1) // 3
        start = dt.date(day.year, 3 * q + 1, 1)
        end = (dt.date(day.year + (q == 3), (3 * q + 3) % 12 + 1, 1)) - dt.timedelta(days=1)
        return f"{day.year}-Q{q + 1}", f"{day.year} Q{q + 1}", start, end
    start = dt.date(day.year, day.month, 1)
    end = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1) - dt.timedelta(days=1)
    return f"{day.year}-{day.month:02d}", start.strftime("%b %Y"), start, end


def buckets(every: str, first: dt.date, last: dt.date) -> list[Bucket]:
    """Every bucket from the one holding `first` to the one holding `last`, clipped to them."""
    out, day = [], first
    while day <= last:
        key, label, start, end = _bucket_of(day, every)
        out.append(Bucket(key, label, max(start, first), min(end, last), start < first or end > last))
        day = end + dt.timedelta(days=1)
    return out


# ---------------------------------------------------------------- groups

@dataclass(frozen=True)
class Group:
    """One mark before it is counted: its key, its words, and the filters that pick its records."""

    key: str
    label: str
    filters: tuple[Filter, ...]
    series: str | None = None
    partial: bool = False
    code: str | None = None  # map: the ISO 3166 alpha-3 code drawn
    apart: bool = False  # map: the records whose code is not a country, counted apart


def _series_values(chart: ChartSpec, chosen: pd.DataFrame) -> list:
    if chart.series is None:
        return [None]
    return sorted(chosen[chart.series.column].dropna().unique().tolist(), key=str)


def _time_groups(fig: CompiledFigure, chosen: pd.DataFrame, fail) -> list[Group]:
    chart, column = fig.decl.chart, fig.decl.chart.by.column
    period = fig.rule.period
    if period and period[0] == column:
        first, last = period[1], period[2]
    else:
        days = pd.to_datetime(chosen[column].dropna())
        if days.empty:
            return []
        first, last = days.min().date(), days.max().date()
        first, last = _bucket_of(first, chart.by.every)[2], _bucket_of(last, chart.by.every)[3]
    found = buckets(chart.by.every, first, last)
    if found and found[0].partial:
        fail(f"the period starts on {first}, inside {chart.by.every} {found[0].label}: a chart's first "
             f"{chart.by.every} must be whole (start the period where a {chart.by.every} starts)")
    if found and found[-1].partial and chart.partial_last is None:
        fail(f"the last {chart.by.every}, {found[-1].label}, is covered only from {found[-1].start} to "
             f"{found[-1].end}: say so with partial_last (e.g. partial_last: \"{found[-1].label} to "
             f"{found[-1].end:%-d %B}\"), so that it is drawn as partial")
    if found and not found[-1].partial and chart.partial_last is not None:
        fail(f"partial_last is given, but the last {chart.by.every}, {found[-1].label}, is whole in the "
             f"period ({found[-1].start} to {found[-1].end})")
    return [Group(b.key, b.label, (Filter(column, "between", (b.start, b.end)),), partial=b.partial)
            for b in found]


def _labels(fig: CompiledFigure, chosen: pd.DataFrame, fail) -> dict[str, str]:
    """Each key's words from the `by.label` column: one label per key, or the spec is asked to fix it."""
    by = fig.decl.chart.by
    if by.label is None:
        return {}
    pairs = chosen[[by.column, by.label]].dropna().astype(str).drop_duplicates()
    doubled = pairs[pairs.duplicated(by.column, keep=False)]
    if not doubled.empty:
        key = doubled[by.column].iloc[0]
        fail(f"'{by.column}' {key!r} has more than one {by.label}: "
             + ", ".join(repr(v) for v in doubled[doubled[by.column] == key][by.label]))
    return dict(zip(pairs[by.column], pairs[by.label]))


def _category_groups(fig: CompiledFigure, chosen: pd.DataFrame, labels: dict[str, str]) -> list[Group]:
    column = fig.decl.chart.by.column
    values = sorted(chosen[column].dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
    return [Group(str(v), labels.get(str(v), str(v)), (Filter(column, "equals", v),)) for v in values]


def _country_groups(fig: CompiledFigure, chosen: pd.DataFrame, labels: dict[str, str], notes: list[str]) -> list[Group]:
    """One group per country code, named by ISO 3166; codes that are not countries are reported,
    and left out or counted apart as the spec says."""
    import iso3166

    chart, column = fig.decl.chart, fig.decl.chart.by.column
    countries = chart.countries or Countries()
    table = iso3166.countries_by_alpha2 if countries.codes == "alpha2" else iso3166.countries_by_alpha3
    groups, strangers = [], []
    counts = chosen[column].dropna().astype(str).value_counts()
    for value in sorted(counts.index):
        country = table.get(value.upper())
        if country is None:
            strangers.append(value)
            continue
        name = country.apolitical_name if len(country.apolitical_name) < 28 else country.name
        groups.append(Group(value, labels.get(value, name), (Filter(column, "equals", value),), code=country.alpha3))
    if strangers:
        listed = ", ".join(f"'{s}' ({counts[s]} record{'s' if counts[s] != 1 else ''})" for s in strangers)
        if countries.not_countries == "count_apart":
            groups.append(Group(countries.apart_label, countries.apart_label,
                                (Filter(column, "in", tuple(strangers)),), apart=True))
            notes.append(f"not countries, counted apart as '{countries.apart_label}': {listed}")
        else:
            notes.append(f"not countries, left out of the chart: {listed}")
    return groups


def chart_groups(fig: CompiledFigure, tables, notes: list[str], fail: Callable[[str], None]) -> list[Group]:
    """The chart's groups, crossed with its series: the marks before they are counted."""
    chart = fig.decl.chart
    finder = replace(fig.rule, type="count_rows", column=None)
    chosen = select(finder, tables, fig.rule.period)
    if chart.by.every:
        keys = _time_groups(fig, chosen, fail)
    elif chart.kind == "map" or chart.countries is not None:
        keys = _country_groups(fig, chosen, _labels(fig, chosen, fail), notes)
    else:
        keys = _category_groups(fig, chosen, _labels(fig, chosen, fail))
    out = []
    for group in keys:
        for value in _series_values(chart, chosen):
            if value is None:
                out.append(group)
            else:
                narrowed = Filter(chart.series.column, "equals", value)
                out.append(replace(group, filters=group.filters + (narrowed,), series=str(value)))
    return out


def narrowed_rule(fig: CompiledFigure, filters: tuple[Filter, ...]) -> CompiledRule:
    """The chart's rule, narrowed to one mark's records."""
    return replace(fig.rule, where=fig.rule.where + tuple(filters))


def mark_rule(spec, fig: CompiledFigure, written: list[dict]) -> CompiledRule:
    """A mark's rule from the filters its figures.json entry recorded (values typed again by column)."""
    columns = spec.datasets[fig.rule.dataset].columns
    filters = []
    for f in written:
        op = next(k for k in f if k != "column")
        filters.append(Filter(f["column"], op, FILTERS[op].check(f[op], columns[f["column"]].type)))
    return narrowed_rule(fig, tuple(filters))


def mark_id(fig: CompiledFigure, key: str, series: str | None) -> str:
    return f"{fig.id}_{mark_slug(key)}" + (f"_{mark_slug(series)}" if series is not None else "")


# ---------------------------------------------------------------- counting

def compute_chart(fig: CompiledFigure, tables, whole, source: str) -> tuple[list[dict], list[str]]:
    """The chart's marks as figures (the fields of a FigureResult, kind 'mark', parent the chart),
    in drawing order, and the chart's notes (what it leaves out or counts apart).

    `whole` is the chart's own figure (the rule over all its records): a share's marks are percents
    of it."""
    chart, decl = fig.decl.chart, fig.decl
    period, primary_key = fig.rule.period, fig.rule.primary_key
    notes: list[str] = []
    claims = {(m.key, m.series): m for m in chart.marks}
    results = []

    def fail(message: str):
        raise InfopipeError("compute", [Problem(source, "chart", f"figure '{fig.id}': {message}", line=fig.line)])

    for group in chart_groups(fig, tables, notes, fail):
        rule = narrowed_rule(fig, group.filters)
        counted = apply_rule(rule, tables, primary_key, period)
        if counted.value is None:
            notes.append(f"{group.label}: no records to count")
            continue
        value = counted.value
        mark = {"key": group.key, "label": group.label, "series": group.series, "partial": group.partial,
                "code": group.code, "apart": group.apart, "filters": [f.to_dict() for f in group.filters]}
        checked = value  # what a printed claim is checked against: the value, or a share's percent
        claimed = claims.pop((group.key, group.series), None)
        claim = parse_claim(claimed.published, decl.tolerance, fig.locale, nouns=True) if claimed else None
        template = claim.print_template if claim else (chart.print_as or (SHARE_PRINT if chart.kind == "share" else "{comma}"))
        if chart.kind == "share":
            total = whole.value or 0
            mark.update(share=100.0 * value / total if total else 0.0, whole=total)
            if template.startswith("{percent"):
                checked = mark["share"]
        try:
            printed = render_template(template, checked, fig.locale)
        except FormatError as err:
            raise InfopipeError("compute", [Problem(source, "print-format", f"mark '{group.key}' of "
                                                    f"figure '{fig.id}': {err}", line=fig.line)]) from None
        words = rule.describe()
        if chart.kind == "share":
            words = f"{words}; its share is this over the whole chart's {whole.value:,}"
        fid = mark_id(fig, group.key, group.series)
        results.append(dict(
            id=fid, label=group.label + (f" ({group.series})" if group.series else ""), value=value,
            printed=printed, template=template, published=claimed.published if claimed else None,
            claim_kind=claim.kind if claim else None, claim_meaning=claim.words() if claim else None,
            claim_holds=claim.holds(checked) if claim else None, checked=checked,
            accepted_difference=claimed.accepted_difference if claimed else None, note=None, panel=False,
            kind="mark", dataset=rule.dataset, rule=rule.to_dict(), rule_in_words=words,
            explanation=decl.explanation, record_count=len(counted.record_ids), parent=fig.id,
            record_ids=counted.record_ids, line=fig.line, mark=mark,
            records=counted.selected[list(dict.fromkeys(
                rule_columns(rule, primary_key) + ([period[0]] if period else [])
                + (["source"] if "source" in counted.selected else [])))]))
    if claims:
        missing = ", ".join(repr(k if s is None else f"{k} / {s}") for k, s in claims)
        have = ", ".join(repr(r["mark"]["key"]) for r in results[:12]) or "none"
        fail(f"marks {missing} are listed under marks but the data has no such mark (its marks: {have})")
    column = tables[fig.rule.dataset][chart.by.column]
    numeric = pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column)
    return _ordered(chart, results, numeric), notes


def check_unique_ids(results, source: str) -> None:
    """Mark ids come from the data ("2019", "fr"): refuse two figures with one id (their lineage
    files would be one file), naming both."""
    seen: dict[str, object] = {}
    for r in results:
        rid, mark = (r["id"], r.get("mark")) if isinstance(r, dict) else (r.id, r.mark)
        if rid in seen:
            raise InfopipeError("compute", [Problem(source, "duplicate-id", f"two figures get the id '{rid}'"
                                                    + (f" (a mark of chart '{rid.rsplit('_', 1)[0]}', key "
                                                       f"{mark['key']!r})" if mark else "")
                                                    + ": rename a figure or the values")])
        seen[rid] = mark


def _ordered(chart: ChartSpec, results: list, numeric_keys: bool) -> list:
    """Time and numbers (years) in order; categories largest first (or as the spec says); apart last."""
    if chart.sorted_by(numeric_keys) == "key":
        return results
    totals: dict[str, float] = {}
    for r in results:
        totals[r["mark"]["key"]] = totals.get(r["mark"]["key"], 0) + float(r["value"])
    sign = -1 if chart.sorted_by(numeric_keys) == "largest_first" else 1
    return sorted(results, key=lambda r: (r["mark"]["apart"], sign * totals[r["mark"]["key"]], r["mark"]["key"]))


def recount_share(rule, frame: pd.DataFrame, whole_rule, whole: pd.DataFrame) -> float:
    """A share's percent recomputed from its own records and the whole chart's (its lineage)."""
    from infopipe.concepts.rules import recount

    total = recount(whole_rule, whole)
    return 100.0 * recount(rule, frame) / total if total else 0.0
