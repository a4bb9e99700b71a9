"""Counting rules and filters, one registered object each: its spec shape, its vectorised execution,
its words and its recount. No eval, no per-row Python.

A rule selects records (filters, the reporting period, a link through a reference, distinct_on),
then aggregates them. The aggregate alone, run on the selected records, is the recount: a reviewer
can recompute every figure from its listed records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from infopipe.concepts.column_types import ANY, NUMERIC, ORDERED, TEXTUAL, coerce_value  # the types' traits

if TYPE_CHECKING:
    import pandas as pd
# pandas is imported where rules run, not when the spec is read: a run with nothing to redo only
# reads the spec, and should not pay the ~0.8 s pandas import for it.


def _like(column: pd.Series, value: Any) -> Any:
    """The spec value as the column's dtype compares: dates as timestamps for datetime64."""
    import pandas as pd

    if isinstance(value, dt.date) and pd.api.types.is_datetime64_any_dtype(column):
        return pd.Timestamp(value)
    return value


def _present(column: pd.Series) -> pd.Series:

    return column.notna().fillna(False).astype(bool)


def _cmp(op: Callable) -> Callable[[pd.Series, Any], pd.Series]:
    def mask(column: pd.Series, value: Any) -> pd.Series:
        return _present(column) & op(column, _like(column, value)).fillna(False).astype(bool)
    return mask


def _isin(column: pd.Series, values) -> pd.Series:

    return _present(column) & column.isin([_like(column, v) for v in values]).fillna(False).astype(bool)


def _text(method: str, **options) -> Callable[[pd.Series, Any], pd.Series]:
    def mask(column: pd.Series, value: Any) -> pd.Series:
        found = getattr(column.astype("string").str, method)(value, **options)
        return found.fillna(False).astype(bool)
    return mask


# ---------------------------------------------------------------- filter ops

@dataclass(frozen=True)
class FilterOp:
    """One way to keep rows: the shape of its value, the column types it fits, its mask, its words."""

    name: str
    shape: str  # "scalar", "list", "pair", "flag" (true/false), "text"
    types: frozenset[str] | None  # column types it applies to; None: any
    mask: Callable[[pd.Series, Any], pd.Series]
    words: Callable[[str, Any], str]

    def check(self, value: Any, column_type: str) -> Any:
        """The value in the column's type; ValueError names what does not fit."""
        if self.types is not None and column_type not in self.types:
            raise ValueError(f"'{self.name}' does not apply to a {column_type} column")
        if self.shape == "flag":
            if not isinstance(value, bool):
                raise ValueError(f"'{self.name}' takes true or false")
            return value
        if self.shape == "text":
            if not isinstance(value, str) or not value:
                raise ValueError(f"'{self.name}' takes a piece of text")
            return value
        if self.shape == "list":
            if not isinstance(value, list) or not value:
                raise ValueError(f"'{self.name}' takes a list of values")
            return tuple(coerce_value(v, column_type) for v in value)
        if self.shape == "pair":
            if not (isinstance(value, list) and len(value) == 2):
                raise ValueError(f"'{self.name}' takes a list of two bounds [low, high]")
            low, high = (coerce_value(v, column_type) for v in value)
            if low > high:
                raise ValueError(f"'{self.name}': the low bound {low} is above the high bound {high}")
            return (low, high)
        return coerce_value(value, column_type)


def _show(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return ", ".join(map(_show, value))
    return value.isoformat() if isinstance(value, dt.date) else str(value)


FILTERS: dict[str, FilterOp] = {f.name: f for f in (
    FilterOp("equals", "scalar", None, _cmp(lambda c, v: c == v), lambda c, v: f"{c} = {_show(v)}"),
    FilterOp("not_equals", "scalar", None, _cmp(lambda c, v: c != v), lambda c, v: f"{c} is not {_show(v)}"),
    FilterOp("in", "list", None, _isin, lambda c, v: f"{c} is one of {_show(v)}"),
    FilterOp("not_in", "list", None, lambda c, v: _present(c) & ~_isin(c, v),
             lambda c, v: f"{c} is none of {_show(v)}"),
    FilterOp("gt", "scalar", ORDERED, _cmp(lambda c, v: c > v), lambda c, v: f"{c} > {_show(v)}"),
    FilterOp("gte", "scalar", ORDERED, _cmp(lambda c, v: c >= v), lambda c, v: f"{c} >= {_show(v)}"),
    FilterOp("lt", "scalar", ORDERED, _cmp(lambda c, v: c < v), lambda c, v: f"{c} < {_show(v)}"),
    FilterOp("lte", "scalar", ORDERED, _cmp(lambda c, v: c <= v), lambda c, v: f"{c} <= {_show(v)}"),
    FilterOp("between", "pair", ORDERED, lambda c, v: _cmp(lambda s, x: s >= x)(c, v[0]) & _cmp(lambda s, x: s <= x)(c, v[1]),
             lambda c, v: f"{c} between {_show(v[0])} and {_show(v[1])}"),
    FilterOp("contains", "text", TEXTUAL, _text("contains", regex=False), lambda c, v: f"{c} contains '{v}'"),
    FilterOp("starts_with", "text", TEXTUAL, _text("startswith"), lambda c, v: f"{c} starts with '{v}'"),
    FilterOp("not_null", "flag", None, lambda c, v: _present(c) if v else ~_present(c),
             lambda c, v: f"{c} is filled in" if v else f"{c} is empty"),
    FilterOp("is_empty", "flag", None, lambda c, v: ~_present(c) if v else _present(c),
             lambda c, v: f"{c} is empty" if v else f"{c} is filled in"),
)}


# ---------------------------------------------------------------- rule types

def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].dropna()


def _number(value) -> int | float:
    """A plain Python number; whole numbers as int so '15' prints as 15."""
    import pandas as pd

    if value is None or pd.isna(value):
        return None  # a statistic of no records
    value = float(value)
    return int(value) if value.is_integer() else value


def _extreme(frame: pd.DataFrame, column: str, how: str):
    """The smallest or largest value: a number, or for a date column the date (a Python date)."""
    import pandas as pd

    value = getattr(frame[column].dropna(), how)()
    if value is None or pd.isna(value):
        return None  # no records
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp from a date column
        return value.date()
    return _number(value)


def _date_range(frame: pd.DataFrame, rule):
    """The first and last date of a date column, as a pair ("4–9 May 2021")."""
    first, last = _extreme(frame, rule.column, "min"), _extreme(frame, rule.column, "max")
    return None if first is None else (first, last)


DAYS = {"day": 1, "week": 7, "month": 365.25 / 12, "year": 365.25}


def _rate(frame: pd.DataFrame, rule) -> float:
    """Rows per day, week, month or year over the reporting period (its days, both ends counted)."""
    _, start, end = rule.period
    return len(frame) / (((end - start).days + 1) / DAYS[rule.per])


def _change(frame: pd.DataFrame, rule) -> float | None:
    """The percentage change in the rows from the earlier period to the reporting period."""
    column, start, end = rule.period
    now = int(FILTERS["between"].mask(frame[column], (start, end)).sum())
    before = int(FILTERS["between"].mask(frame[column], rule.base_period[1:]).sum())
    return None if before == 0 else 100.0 * (now - before) / before


def _share(frame: pd.DataFrame, rule) -> float | None:
    if len(frame) == 0:
        return None  # a share of nothing is undefined, not 0 %: refused like the mean of no records
    kept = select_mask(frame, rule.part)
    return 100.0 * float(kept.sum()) / len(frame)


@dataclass(frozen=True)
class RuleType:
    """One way to turn selected records into a number: what it needs, how it counts, its words.

    `aggregate` runs on the selected records only, so it is also the reviewer's recount.
    """

    name: str
    column_types: frozenset[str] | None  # None: needs no column
    aggregate: Callable[[pd.DataFrame, Any], Any]
    words: Callable[[Any], str]
    distinct: bool = False  # keeps one record per distinct value of the column
    needs: dict[str, str] = field(default_factory=dict)  # its own parameters (rule keys) -> what each is for

    def takes(self, key: str) -> bool:
        return key in self.needs


def taking(key: str) -> list[str]:
    """The rule types that take a parameter of their own (`part`: share)."""
    return [r.name for r in RULES.values() if r.takes(key)]


RULES: dict[str, RuleType] = {r.name: r for r in (
    RuleType("count_rows", None, lambda f, r: len(f), lambda r: f"count the rows of {r.dataset}"),
    RuleType("count_distinct", ANY,
             lambda f, r: int(f[r.column].nunique(dropna=True)),
             lambda r: f"count the distinct values of {r.dataset}.{r.column}", distinct=True),
    RuleType("sum", NUMERIC, lambda f, r: _number(_numeric(f, r.column).sum()),
             lambda r: f"add up {r.dataset}.{r.column}"),
    RuleType("min", ORDERED, lambda f, r: _extreme(f, r.column, "min"),
             lambda r: f"the smallest (or earliest) {r.dataset}.{r.column}"),
    RuleType("max", ORDERED, lambda f, r: _extreme(f, r.column, "max"),
             lambda r: f"the largest (or latest) {r.dataset}.{r.column}"),
    RuleType("date_range", frozenset({"date"}), _date_range,
             lambda r: f"the first and last {r.dataset}.{r.column}"),
    RuleType("mean", NUMERIC, lambda f, r: _number(_numeric(f, r.column).mean()),
             lambda r: f"the mean of {r.dataset}.{r.column}"),
    RuleType("median", NUMERIC, lambda f, r: _number(_numeric(f, r.column).median()),
             lambda r: f"the median of {r.dataset}.{r.column}"),
    RuleType("rate", None, _rate,
             lambda r: f"the rows of {r.dataset} per {getattr(r, 'per', None) or 'day'} over the reporting period",
             needs={"per": "the unit of time: day, week, month or year"}),
    RuleType("change", None, _change,
             lambda r: f"the percentage change in the rows of {r.dataset} from the period it is compared with "
                       "(compared_with) to the reporting period",
             needs={"compared_with": "the earlier period, {start, end}"}),
    RuleType("share", None, _share,
             lambda r: f"the percentage of the rows of {r.dataset} where "
                       + " and ".join(FILTERS[f.op].words(f.column, f.value) for f in r.part),
             needs={"part": "the filters that pick the share"}),
)}


# ---------------------------------------------------------------- running a rule

@dataclass(frozen=True)
class RuleResult:
    value: Any
    record_ids: pd.Series  # primary keys of the records counted, in table order
    selected: pd.DataFrame  # those records (for evidence and recount)


def select_mask(frame: pd.DataFrame, filters) -> pd.Series:
    import pandas as pd

    mask = pd.Series(True, index=frame.index)
    for flt in filters:
        mask &= FILTERS[flt.op].mask(frame[flt.column], flt.value)
    return mask


def select(rule, tables: dict[str, pd.DataFrame], period=None, via_period=None) -> pd.DataFrame:
    """The records a rule counts: filters, the reporting period (its own dataset's, or through
    `via` the linked dataset's), a link through a reference."""
    import pandas as pd

    frame = tables[rule.dataset]
    mask = select_mask(frame, rule.where)
    if period is not None:
        column, start, end = period
        in_period = FILTERS["between"].mask(frame[column], (start, end))
        base = getattr(rule, "base_period", None)  # a change counts its earlier period too
        if base is not None:
            in_period |= FILTERS["between"].mask(frame[base[0]], (base[1], base[2]))
        mask &= in_period
    if rule.via is not None:
        target, target_column = rule.via.target, rule.via.target_column  # a compiled rule (spec/compile.py)
        linked = tables[target]
        linked_mask = select_mask(linked, rule.via.where)
        if via_period is not None:
            linked_mask &= FILTERS["between"].mask(linked[via_period[0]], (via_period[1], via_period[2]))
        keep = linked.loc[linked_mask, target_column].dropna()
        mask &= _isin(frame[rule.via.column], list(pd.unique(keep)))
    chosen = _keep(frame, mask)
    if rule.distinct_on:
        chosen = _keep(chosen, ~chosen.duplicated(subset=list(rule.distinct_on), keep="first"))
    if rule.column:  # a record with no value in the counted column is not counted, nor listed
        chosen = _keep(chosen, _present(chosen[rule.column]))
    if RULES[rule.type].distinct:
        chosen = _keep(chosen, ~chosen.duplicated(subset=[rule.column], keep="first"))
    return chosen


def _keep(frame: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """The rows of `mask` (a numpy-bool Series); the frame itself when that is every row. Text
    columns held by Arrow in many chunks (a big CSV's batches) are filtered chunk by chunk: pandas'
    frame[mask] takes rows by number, and Arrow's take joins every chunk of the column first."""
    import pandas as pd

    if bool(mask.all()):
        return frame
    keep = mask.to_numpy(dtype=bool)
    columns = {}
    for name, column in frame.items():
        array = column.array
        if isinstance(array, pd.arrays.ArrowStringArray) and array._pa_array.num_chunks > 1:
            array = type(array)(array._pa_array.filter(keep), dtype=column.dtype)
        else:
            array = array[keep]
        columns[name] = array
    return pd.DataFrame(columns, index=frame.index[keep], copy=False)


def apply_rule(rule, tables: dict[str, pd.DataFrame], primary_key: str, period=None, via_period=None) -> RuleResult:
    """Evaluate one rule over the typed tables."""
    chosen = select(rule, tables, period, via_period)
    value = RULES[rule.type].aggregate(chosen, rule)
    return RuleResult(value, chosen[primary_key], chosen)  # ids stay a column: no Python strings


def describe_rule(rule, via_target: str | None = None, period=None, via_period=None) -> str:
    """A rule in words: what it counts, where, in which period (its own dataset's, or through
    `via` the linked dataset's), and what it counts once."""
    what = RULES[rule.type].words(rule)
    conditions = [FILTERS[f.op].words(f.column, f.value) for f in rule.where]
    if rule.via and via_target:
        linked = [FILTERS[f.op].words(f.column, f.value) for f in rule.via.where]
        if via_period:
            linked.append(f"{via_period[0]} in the reporting period {via_period[1]} to {via_period[2]}")
        conditions.append(f"{rule.via.column} names a row of {via_target} where {' and '.join(linked) or 'any'}")
    if period:
        base = getattr(rule, "base_period", None)
        conditions.append(f"{period[0]} in the reporting period {period[1]} to {period[2]}"
                          + (f" or in {base[1]} to {base[2]}" if base else ""))
    if conditions:
        what += " where " + " and ".join(conditions)
    if rule.distinct_on:
        what += f", counting rows with the same {', '.join(rule.distinct_on)} once"
    return what


def recount(rule, records: pd.DataFrame) -> Any:
    """The figure recomputed from its listed records alone."""
    return RULES[rule.type].aggregate(records, rule)


def rule_columns(rule, primary_key: str) -> list[str]:
    """The columns a rule reads: its key, counted column, filters, link and dedup key."""
    names = [primary_key, rule.column, *(f.column for f in rule.where), *(f.column for f in rule.part),
             rule.via.column if rule.via else None, *rule.distinct_on]
    return list(dict.fromkeys(n for n in names if n))


def plain_value(value):
    import numpy as np
    import pandas as pd

    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]  # a date range
    if value is None or (not isinstance(value, np.ndarray) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value
