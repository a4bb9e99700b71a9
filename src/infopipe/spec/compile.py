"""The spec compiled once into immutable, resolved objects that compute, review and render read.

The model (model.py) keeps the spec as written; this resolves what a rule needs to run, once:
filter values in their column's type, the dataset and column a `via` link reaches, the reporting
period a rule counts in, and each breakdown part as a figure of its own with its narrowed rule.
Nothing here changes a validated model: every object is a new frozen dataclass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from infopipe.concepts.rules import FILTERS, describe_rule
from infopipe.spec.model import FigureSpec, Rule, Spec, part_id, yields_date


@dataclass(frozen=True)
class Filter:
    """One condition, its value already in the column's type."""

    column: str
    op: str
    value: Any

    def describe(self) -> str:
        return FILTERS[self.op].words(self.column, self.value)

    def to_dict(self) -> dict:
        return {"column": self.column, self.op: _plain(self.value)}


@dataclass(frozen=True)
class Link:
    """A `via`: rows whose `column` names a row of `target` (by `target_column`) matching `where`."""

    column: str
    target: str
    target_column: str
    where: tuple[Filter, ...] = ()


@dataclass(frozen=True)
class CompiledRule:
    type: str
    dataset: str
    primary_key: str
    column: str | None = None
    where: tuple[Filter, ...] = ()
    part: tuple[Filter, ...] = ()
    via: Link | None = None
    distinct_on: tuple[str, ...] = ()
    period: tuple[str, dt.date, dt.date] | None = None  # (column, start, end) when the rule counts in one
    via_period: tuple[str, dt.date, dt.date] | None = None  # the period reached through `via` (its target's)
    period_words: str = ""  # why no reporting period applied, when none did
    per: str | None = None  # a rate's unit of time
    base_period: tuple[str, dt.date, dt.date] | None = None  # a change's earlier period (column, start, end)
    written: dict | None = None  # the rule as the spec wrote it (figures.json records it)

    @property
    def reads(self) -> tuple[str, ...]:
        """The datasets the rule reads."""
        return (self.dataset,) + ((self.via.target,) if self.via else ())

    def describe(self) -> str:
        return describe_rule(self, self.via.target if self.via else None, self.period, self.via_period) \
            + self.period_words

    def to_dict(self) -> dict:
        out = dict(self.written or {"type": self.type, "dataset": self.dataset})
        for key in ("where", "part"):
            if getattr(self, key):
                out[key] = [f.to_dict() for f in getattr(self, key)]
        if self.via:
            out["via"] = {"column": self.via.column, "where": [f.to_dict() for f in self.via.where]}
        return out


@dataclass(frozen=True)
class CompiledFigure:
    """A figure or a breakdown part: its id, words, claim text and resolved rule."""

    id: str
    decl: FigureSpec  # the figure as declared (a part: its breakdown's figure)
    rule: CompiledRule
    label: str
    published: str | None
    kind: str  # the panel kind; "part" for a breakdown part
    locale: str = "en_GB"  # the spec's: the claim's words, and how the value prints
    dates: bool = False  # the value is a date or a date range (its claim is read as dates)
    parent: str | None = None
    rank: int = 0  # a ranking's part: its place (1 = the most frequent), its value found in the data
    expected: Any = None  # a ranking's part: the value the report named at that place, if any
    category: Any = None  # a breakdown part: the value of the breakdown column it counts
    parts: tuple["CompiledFigure", ...] = ()

    @property
    def line(self) -> int:
        return self.decl.line


@dataclass(frozen=True)
class CompiledSpec:
    spec: Spec
    figures: tuple[CompiledFigure, ...]

    def figure(self, figure_id: str) -> CompiledFigure:
        """A figure or a breakdown part, by id."""
        for fig in self.figures:
            for one in (fig, *fig.parts):
                if one.id == figure_id:
                    return one
        raise KeyError(figure_id)


def _filters(spec: Spec, dataset: str, filters) -> tuple[Filter, ...]:
    columns = spec.datasets[dataset].columns
    return tuple(Filter(f.column, f.op, FILTERS[f.op].check(f.value, columns[f.column].type)) for f in filters)


def compile_rule(spec: Spec, rule: Rule, extra: tuple = ()) -> CompiledRule:
    """A checked rule, resolved: typed filter values (plus `extra` ones), its link, its period."""
    ds = spec.datasets[rule.dataset]
    via = None
    if rule.via:
        target, target_column = ds.columns[rule.via.column].references
        via = Link(rule.via.column, target, target_column, _filters(spec, target, rule.via.where))
    return CompiledRule(
        type=rule.type, dataset=rule.dataset, primary_key=ds.primary_key, column=rule.column,
        where=_filters(spec, rule.dataset, rule.where) + extra, part=_filters(spec, rule.dataset, rule.part),
        via=via, distinct_on=rule.distinct_on, period=spec.period_for(rule), via_period=spec.via_period_for(rule),
        period_words=spec.period_in_words(rule), per=rule.per,
        base_period=(ds.period_column, rule.compared_with.start, rule.compared_with.end)
        if rule.compared_with and ds.period_column else None,
        written=rule.model_dump(mode="json", exclude_defaults=True, exclude={"where", "part", "via"}))


def compile_figure(spec: Spec, fig: FigureSpec) -> CompiledFigure:
    rule = compile_rule(spec, fig.rule)
    parts = ()
    if fig.breakdown and fig.breakdown.top:
        named = {j + 1: p for j, p in enumerate(fig.breakdown.parts)}
        parts = tuple(CompiledFigure(
            id=part_id(fig, named[r], r) if r in named else f"{fig.id}_{r}", decl=fig,
            label=named[r].label if r in named else "", published=named[r].published if r in named else None,
            kind="part", parent=fig.id, locale=spec.locale, rank=r, rule=rule,
            expected=named[r].value if r in named else None) for r in range(1, fig.breakdown.top + 1))
    elif fig.breakdown:
        column = spec.datasets[fig.rule.dataset].columns[fig.breakdown.column]
        parts = tuple(CompiledFigure(
            id=part_id(fig, p), decl=fig, label=p.label, published=p.published, kind="part", parent=fig.id,
            locale=spec.locale, dates=yields_date(spec, fig.rule), category=value,
            rule=compile_rule(spec, fig.rule, (Filter(fig.breakdown.column, "equals", value),)))
            for p, value in ((p, FILTERS["equals"].check(p.value, column.type)) for p in fig.breakdown.parts))
    return CompiledFigure(id=fig.id, decl=fig, rule=rule, label=fig.label, published=fig.published,
                          kind=fig.kind, locale=spec.locale, dates=yields_date(spec, fig.rule), parts=parts)


def compile_spec(spec: Spec) -> CompiledSpec:
    """The checked spec, compiled (once per spec object: each step asks for it)."""
    key = id(spec)
    if key not in _COMPILED or _COMPILED[key][0] is not spec:
        if len(_COMPILED) > 32:
            _COMPILED.clear()
        _COMPILED[key] = (spec, CompiledSpec(spec, tuple(compile_figure(spec, f) for f in spec.figures)))
    return _COMPILED[key][1]


_COMPILED: dict[int, tuple[Spec, CompiledSpec]] = {}


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
