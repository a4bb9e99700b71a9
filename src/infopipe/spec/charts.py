"""Chart panels in the spec: what a chart groups its records by, how it is drawn, and which of its
marks the report printed.

A chart is a figure with a `chart:` block. Its `rule` is the aggregate of each mark (a group-by):
one mark per value of `by.column` (or per year, quarter or month of a date column), optionally per
value of `series.column` too. Every mark becomes a figure of its own (see infopipe.marks). Values
the report printed for some marks (data labels, an appendix table) are listed under `marks` and
each is checked as a claim.
"""

from __future__ import annotations

import re
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CHART_KINDS = ("bar", "share", "line", "map")
EVERY = ("year", "quarter", "month")
KEY_SLUG = re.compile(r"[^a-z0-9]+")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, populate_by_name=True)


def _text(value):
    """Keys written as numbers in YAML (2019) are the text the marks are named by ("2019")."""
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


class By(_Model):
    """The axis of marks: a category column, or a date column cut into years, quarters or months."""

    column: str
    every: Literal["year", "quarter", "month"] | None = None
    label: str | None = None  # a column holding each key's words (an id's name)


class Series(_Model):
    """A second grouping: bars grouped or stacked, one line per series, a category per country."""

    column: str


class MarkClaim(_Model):
    """A value the report printed for one mark (and series), read as a claim like `published`."""

    key: str = Field(max_length=200)
    series: str | None = Field(None, max_length=200)
    published: str = Field(max_length=200)
    accepted_difference: str | None = Field(None, max_length=2000)

    @field_validator("key", "series", "published", mode="before")
    @classmethod
    def _as_text(cls, value):
        return _text(value)


class Countries(_Model):
    """How a map reads its codes, and what it does with codes that are not countries ("online")."""

    codes: Literal["alpha2", "alpha3"] = "alpha3"
    not_countries: Literal["exclude", "count_apart"] = "exclude"
    apart_label: str = Field("not a country", max_length=200)


class ChartSpec(_Model):
    kind: Literal["bar", "share", "line", "map"]
    by: By
    series: Series | None = None
    mode: Literal["grouped", "stacked"] = "grouped"  # bar with series
    orientation: Literal["auto", "vertical", "horizontal"] = "auto"  # bar; auto: horizontal for long labels
    style: Literal["donut", "bar"] = "donut"  # share: a donut or one 100% bar
    order: Literal["key", "largest_first", "smallest_first"] | None = None  # default: time and numbers
    # in key order, categories largest first
    print_as: str | None = Field(None, alias="print", max_length=200)  # each unprinted mark's label
    value_title: str = Field("", max_length=200)  # the value axis' title ("visitors")
    labels: bool = True  # print each mark's value on the chart
    marks: tuple[MarkClaim, ...] = Field((), max_length=2000)
    partial_last: str | None = Field(None, max_length=200)  # the note of a last bucket not yet over
    countries: Countries | None = None  # map only

    @property
    def timed(self) -> bool:
        return self.by.every is not None

    def sorted_by(self, numeric_keys: bool = False) -> str:
        return self.order or ("key" if self.timed or numeric_keys or self.kind == "line" else "largest_first")


def mark_slug(text: str) -> str:
    """A mark key as part of a figure id: lower-case letters and digits, '-' between (2019-q1)."""
    return KEY_SLUG.sub("-", str(text).lower()).strip("-") or "blank"


def check_chart(chart: ChartSpec, rule, datasets: dict, fail: Callable[[str, str, tuple, str | None], None],
                loc: tuple) -> None:
    """What one field cannot know alone: the chart's columns against the rule's dataset, and options
    that belong to another kind. `fail(check, message, loc, column)` records a located problem."""
    ds = datasets.get(rule.dataset)
    if ds is None:
        return  # the rule's own check names the unknown dataset
    by = ds.columns.get(chart.by.column)
    if by is None:
        fail("unknown-column", f"chart by names column {chart.by.column!r}, not in '{ds.name}'",
             loc + ("by", "column"), chart.by.column)
    elif chart.by.every and by.type != "date":
        fail("spec-type", f"chart by '{chart.by.column}' is a {by.type} column: 'every' needs a date column",
             loc + ("by", "every"), chart.by.column)
    elif chart.kind == "map" and by.type not in ("id", "text"):
        fail("spec-type", f"a map's by column holds country codes: '{chart.by.column}' is {by.type}",
             loc + ("by", "column"), chart.by.column)
    if chart.series and chart.series.column not in ds.columns:
        fail("unknown-column", f"chart series names column {chart.series.column!r}, not in '{ds.name}'",
             loc + ("series", "column"), chart.series.column)
    if chart.series and chart.kind == "share":
        fail("spec-shape", "a share chart shows the parts of one whole: it takes no 'series'", loc + ("series",), None)
    if chart.kind == "map" and chart.by.every:
        fail("spec-shape", "a map's marks are countries: its 'by' takes no 'every'", loc + ("by", "every"), None)
    if chart.countries is not None and chart.by.every:
        fail("spec-shape", "'countries' reads country codes: its chart's 'by' takes no 'every'", loc + ("countries",), None)
    if chart.by.label is not None and chart.by.label not in ds.columns:
        fail("unknown-column", f"chart by.label names column {chart.by.label!r}, not in '{ds.name}'",
             loc + ("by", "label"), chart.by.label)
    if chart.by.label is not None and chart.by.every:
        fail("spec-shape", "time buckets are named by their dates: 'by' takes 'label' or 'every', not both",
             loc + ("by", "label"), None)
    if chart.partial_last is not None and not chart.by.every:
        fail("spec-shape", "'partial_last' needs time buckets (by: {column, every})", loc + ("partial_last",), None)
    if chart.print_as is not None:
        from infopipe.concepts.formats import FormatError, check_template

        try:
            check_template(chart.print_as)
        except FormatError as err:
            fail("print-format", f"chart print: {err}", loc + ("print",), None)
    if rule.type == "share":
        fail("spec-shape", "a chart's rule is the aggregate of each mark (count_rows, sum, ...): a share "
             "chart computes the shares itself", loc, None)
    seen: set = set()
    for j, mark in enumerate(chart.marks):
        if (mark.key, mark.series) in seen:
            fail("duplicate-id", f"mark {mark.key!r}{'' if mark.series is None else ' / ' + mark.series} is "
                 "listed twice", loc + ("marks", j), None)
        seen.add((mark.key, mark.series))
        if (mark.series is None) != (chart.series is None):
            fail("spec-shape", f"mark {mark.key!r}: give 'series' exactly when the chart has a series",
                 loc + ("marks", j), None)

