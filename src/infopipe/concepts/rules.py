"""Counting rules and filters, one registered object each: its spec shape, its vectorised execution,
its words and its recount. No eval, no per-row Python.

A rule selects records (filters, the reporting period, a link through a reference, distinct_on),
then aggregates them. The aggregate alone, run on the selected records, is the recount: a reviewer
can recompute every figure from its listed records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
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
    # The same condition in SQL: (column expression, value, literal) -> a condition that may be NULL
    # where the cell is NULL; the SQL backend reads NULL as "not kept", as the mask does.
    sql: Callable[[str, Any, Callable[[Any], str]], str] | None = None

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


def _in_sql(c: str, v, lit) -> str:
    return f"{c} IN ({', '.join(map(lit, v))})"


FILTERS: dict[str, FilterOp] = {f.name: f for f in (
    FilterOp("equals", "scalar", None, _cmp(lambda c, v: c == v), lambda c, v: f"{c} = {_show(v)}",
             lambda c, v, lit: f"{c} = {lit(v)}"),
    FilterOp("not_equals", "scalar", None, _cmp(lambda c, v: c != v), lambda c, v: f"{c} is not {_show(v)}",
             lambda c, v, lit: f"{c} <> {lit(v)}"),
    FilterOp("in", "list", None, _isin, lambda c, v: f"{c} is one of {_show(v)}", _in_sql),
    FilterOp("not_in", "list", None, lambda c, v: _present(c) & ~_isin(c, v),
             lambda c, v: f"{c} is none of {_show(v)}", lambda c, v, lit: f"NOT ({_in_sql(c, v, lit)})"),
    FilterOp("gt", "scalar", ORDERED, _cmp(lambda c, v: c > v), lambda c, v: f"{c} > {_show(v)}",
             lambda c, v, lit: f"{c} > {lit(v)}"),
    FilterOp("gte", "scalar", ORDERED, _cmp(lambda c, v: c >= v), lambda c, v: f"{c} >= {_show(v)}",
             lambda c, v, lit: f"{c} >= {lit(v)}"),
    FilterOp("lt", "scalar", ORDERED, _cmp(lambda c, v: c < v), lambda c, v: f"{c} < {_show(v)}",
             lambda c, v, lit: f"{c} < {lit(v)}"),
    FilterOp("lte", "scalar", ORDERED, _cmp(lambda c, v: c <= v), lambda c, v: f"{c} <= {_show(v)}",
             lambda c, v, lit: f"{c} <= {lit(v)}"),
    FilterOp("between", "pair", ORDERED, lambda c, v: _cmp(lambda s, x: s >= x)(c, v[0]) & _cmp(lambda s, x: s <= x)(c, v[1]),
             lambda c, v: f"{c} between {_show(v[0])} and {_show(v[1])}",
             lambda c, v, lit: f"{c} >= {lit(v[0])} AND {c} <= {lit(v[1])}"),
    FilterOp("contains", "text", TEXTUAL, _text("contains", regex=False), lambda c, v: f"{c} contains '{v}'",
             lambda c, v, lit: f"STRPOS({c}, {lit(v)}) > 0"),
    FilterOp("starts_with", "text", TEXTUAL, _text("startswith"), lambda c, v: f"{c} starts with '{v}'",
             lambda c, v, lit: f"STARTS_WITH({c}, {lit(v)})"),
    FilterOp("not_null", "flag", None, lambda c, v: _present(c) if v else ~_present(c),
             lambda c, v: f"{c} is filled in" if v else f"{c} is empty",
             lambda c, v, lit: f"{c} IS NOT NULL" if v else f"{c} IS NULL"),
    FilterOp("is_empty", "flag", None, lambda c, v: ~_present(c) if v else _present(c),
             lambda c, v: f"{c} is empty" if v else f"{c} is filled in",
             lambda c, v, lit: f"{c} IS NULL" if v else f"{c} IS NOT NULL"),
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
    return _rate_of(len(frame), rule)


def _rate_of(rows: int, rule) -> float:
    _, start, end = rule.period
    return rows / (((end - start).days + 1) / DAYS[rule.per])


def _change(frame: pd.DataFrame, rule) -> float | None:
    """The percentage change in the rows from the earlier period to the reporting period."""
    column, start, end = rule.period
    now = int(FILTERS["between"].mask(frame[column], (start, end)).sum())
    before = int(FILTERS["between"].mask(frame[column], rule.base_period[1:]).sum())
    return _change_of(now, before)


def _change_of(now: int, before: int) -> float | None:
    return None if before == 0 else 100.0 * (now - before) / before


def _share(frame: pd.DataFrame, rule) -> float | None:
    return _share_of(len(frame), int(select_mask(frame, rule.part).sum()) if len(frame) else 0)


def _share_of(rows: int, kept: int) -> float | None:
    if rows == 0:
        return None  # a share of nothing is undefined, not 0 %: refused like the mean of no records
    return 100.0 * float(kept) / rows


# ---------------------------------------------------------------- the same figures in SQL

class NotExact(Exception):
    """The database's exact value would differ from pandas' (a sum past 2**53 in floating point):
    the figure is computed in pandas instead."""


@dataclass(frozen=True)
class SqlAggregate:
    """A rule type in SQL: the aggregates it needs over the selected rows, `(rule, writer) -> [SQL]`,
    and the value from what they return, made by the same arithmetic as the pandas aggregate."""

    parts: Callable[[Any, "SqlWriter"], list[str]]
    finish: Callable[[tuple, Any], Any]
    column_types: frozenset[str] | None = None  # where it is sound, if narrower than the rule type's


def _exact_sum(total, magnitude, limit: int):
    """A sum as pandas makes it: numpy adds int64 exactly below 2**63 (sum) and as float64 exactly
    below 2**53 (mean); past that pandas' own value is not the true one, so pandas computes it."""
    if magnitude is not None and magnitude >= limit:
        raise NotExact(f"the sum passes 2**{limit.bit_length() - 1}, where pandas' sum and the "
                       "database's exact one can differ")
    return 0 if total is None else total


def _sql_date(value):
    return value.date() if isinstance(value, dt.datetime) else value


def _sql_extreme(value):
    return None if value is None else _sql_date(value) if isinstance(value, dt.date) else _number(value)


INTEGER_ONLY = frozenset({"integer"})
SQL: dict[str, SqlAggregate] = {
    "count_rows": SqlAggregate(lambda r, q: ["COUNT(*)"], lambda v, r: int(v[0])),
    # select() already keeps one record per value: counting them is counting the distinct values
    "count_distinct": SqlAggregate(lambda r, q: ["COUNT(*)"], lambda v, r: int(v[0]),
                                   frozenset({"id", "text", "source", "integer", "date", "boolean"})),
    "sum": SqlAggregate(lambda r, q: [f"SUM({q.column})", f"SUM(ABS({q.column}))"],
                        lambda v, r: _number(_exact_sum(v[0], v[1], 2**63)), INTEGER_ONLY),
    "mean": SqlAggregate(lambda r, q: [f"SUM({q.column})", f"COUNT({q.column})", f"SUM(ABS({q.column}))"],
                         lambda v, r: None if not v[1] else _number(
                             float(_exact_sum(v[0], v[2], 2**53)) / float(v[1])), INTEGER_ONLY),
    "min": SqlAggregate(lambda r, q: [f"MIN({q.column})"], lambda v, r: _sql_extreme(v[0]),
                        frozenset({"integer", "number", "date"})),
    "max": SqlAggregate(lambda r, q: [f"MAX({q.column})"], lambda v, r: _sql_extreme(v[0]),
                        frozenset({"integer", "number", "date"})),
    "date_range": SqlAggregate(lambda r, q: [f"MIN({q.column})", f"MAX({q.column})"],
                               lambda v, r: None if v[0] is None else (_sql_date(v[0]), _sql_date(v[1]))),
    "rate": SqlAggregate(lambda r, q: ["COUNT(*)"], lambda v, r: _rate_of(int(v[0]), r)),
    "change": SqlAggregate(lambda r, q: [q.count_where([_Condition(r.period[0], "between", r.period[1:])]),
                                         q.count_where([_Condition(r.period[0], "between", r.base_period[1:])])],
                           lambda v, r: _change_of(int(v[0] or 0), int(v[1] or 0))),
    "share": SqlAggregate(lambda r, q: ["COUNT(*)", q.count_where(r.part)],
                          lambda v, r: _share_of(int(v[0]), int(v[1] or 0))),
    # median: not here. It needs every value (no SQL aggregate is both portable and equal to pandas'
    # midpoint of the two middle values), so it is computed in pandas on the rows read.
}


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
    computed: dict = field(default_factory=lambda: {"engine": "pandas"})  # where the value was computed


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


def apply_rule(rule, tables: dict[str, pd.DataFrame], primary_key: str, period=None, via_period=None,
               backend: "SqlBackend | None" = None) -> RuleResult:
    """Evaluate one rule over the typed tables, or in the database that holds them (`backend`)."""
    if backend is not None:
        try:
            return backend.apply(rule, tables, primary_key, period, via_period)
        except NotExact as err:  # pandas' own arithmetic, on the rows read
            chosen = select(rule, tables, period, via_period)
            return RuleResult(RULES[rule.type].aggregate(chosen, rule), chosen[primary_key], chosen,
                              {"engine": "pandas", "why": str(err)})
    chosen = select(rule, tables, period, via_period)
    value = RULES[rule.type].aggregate(chosen, rule)
    return RuleResult(value, chosen[primary_key], chosen)  # ids stay a column: no Python strings


# ---------------------------------------------------------------- backends: the same rule in SQL
#
# pandas is the reference backend: it runs every rule on the typed rows. A database dataset's rules
# can also run where its records live, as pandera keeps a backend per dataframe library: each
# FilterOp and SqlAggregate above says its SQL next to its pandas meaning, and select() below is
# written once more as SQL, step for step. The engine (data/database.py) supplies the dataset's rows
# typed as infopipe's column parsers type them, how it quotes names and writes values, and runs the
# queries in one snapshot. Rule types, column types or links it cannot compute exactly as pandas does
# stay in pandas (`sql_refusal` says why, and provenance records it).

ORDER = "__infopipe_order"  # the primary key as stored: the order the rows were read in


@dataclass(frozen=True)
class _Condition:
    column: str
    op: str
    value: Any


@dataclass(frozen=True)
class SqlWriter:
    """How one engine writes names and values, for one rule: the counted column's expression, and
    filters as conditions that keep no row where a cell is NULL (as the masks do)."""

    quote: Callable[[str], str]
    literal: Callable[[Any], str]
    column_name: str | None = None

    @property
    def column(self) -> str:
        return self.quote(self.column_name)

    def condition(self, filters) -> str:
        return " AND ".join(f"COALESCE({FILTERS[f.op].sql(self.quote(f.column), f.value, self.literal)}, FALSE)"
                            for f in filters) or "TRUE"

    def count_where(self, filters) -> str:
        return f"SUM(CASE WHEN {self.condition(filters)} THEN 1 ELSE 0 END)"


@dataclass(frozen=True)
class SqlQueries:
    figure: str  # the aggregates the rule type needs, over the records the rule counts
    records: str  # those records' primary keys


def sql_queries(rule, source: Callable[[str, list[str]], str], writer: SqlWriter, primary_key: str,
                period=None, via_period=None, records: list[str] | None = None, inline: bool = False) -> SqlQueries:
    """select() and the rule type's aggregates as SQL over `source(dataset, columns)`: a SELECT of
    those declared columns typed as infopipe types them, plus ORDER. The records query gives the
    records' keys, or with `records` those columns of them in ORDER (source must give them).
    `inline`: no step is stored whole (DuckDB would store a step read twice, "first of", with the
    text of every row, before taking its few records: 4.9 s against 0.4 s at 30M rows)."""
    q, order = writer.quote, writer.quote(ORDER)
    steps = [f"rows AS ({source(rule.dataset, _reads(rule, primary_key, period))})"]
    keep = [writer.condition(rule.where)]
    if period is not None:
        in_period = writer.condition([_Condition(period[0], "between", period[1:])])
        base = getattr(rule, "base_period", None)
        if base is not None:
            in_period = f"({in_period} OR {writer.condition([_Condition(base[0], 'between', base[1:])])})"
        keep.append(in_period)
    if rule.via is not None:
        linked = [writer.condition(rule.via.where)]
        if via_period is not None:
            linked.append(writer.condition([_Condition(via_period[0], "between", via_period[1:])]))
        steps.append(f"linked AS ({source(rule.via.target, _linked_reads(rule, via_period))})")
        target = q(rule.via.target_column)
        keep.append(f"COALESCE({q(rule.via.column)} IN (SELECT {target} FROM linked WHERE "
                    f"{' AND '.join(linked)} AND {target} IS NOT NULL), FALSE)")
    steps.append(f"kept AS (SELECT * FROM rows WHERE {' AND '.join(keep)})")
    last = "kept"

    def first_of(name: str, columns) -> None:
        """drop_duplicates(keep="first"): the row that comes first in the rows' order (the smallest
        key as stored) of each group; NULLs group together, as in pandas. A hash aggregate, no sort."""
        nonlocal last
        steps.append(f"{name} AS (SELECT * FROM {last} WHERE {order} IN (SELECT MIN({order}) FROM {last} "
                     f"GROUP BY {', '.join(map(q, columns))}))")
        last = name

    if rule.distinct_on:
        first_of("first_per_key", rule.distinct_on)
    if rule.column:
        steps.append(f"counted AS (SELECT * FROM {last} WHERE {q(rule.column)} IS NOT NULL)")
        last = "counted"
    if RULES[rule.type].distinct:
        first_of("first_per_value", [rule.column])
    head = "WITH " + ",\n".join(s.replace(" AS (", " AS NOT MATERIALIZED (", 1) if inline else s for s in steps) + "\n"
    parts = SQL[rule.type].parts(rule, writer)
    # the records in the rows' order: filters keep it (DuckDB's insertion order); a link or a "first of"
    # step is a join, after which they are sorted again (a sort of every record costs 2.5x the query)
    reorders = rule.via is not None or bool(rule.distinct_on) or RULES[rule.type].distinct
    kept = (f"SELECT {', '.join(map(q, records))} FROM {last}" + (f" ORDER BY {order}" if reorders else "")
            if records else f"SELECT {q(primary_key)} FROM {last}")  # put in the rows' order by their keys
    return SqlQueries(head + f"SELECT {', '.join(parts)} FROM {last}", head + kept)


def _reads(rule, primary_key: str, period) -> list[str]:
    base = getattr(rule, "base_period", None)
    return list(dict.fromkeys([*rule_columns(rule, primary_key), *([period[0]] if period else []),
                               *([base[0]] if base else [])]))


def _linked_reads(rule, via_period) -> list[str]:
    return list(dict.fromkeys([rule.via.target_column, *(f.column for f in rule.via.where),
                               *([via_period[0]] if via_period else [])]))


def sql_refusal(rule, column_types: dict[str, dict[str, str]], typed: frozenset[str], period=None,
                via_period=None) -> str | None:
    """Why a rule cannot run in the database exactly as in pandas, or None when it can.
    column_types: the database datasets' declared column types; typed: the types the engine types."""
    aggregate = SQL.get(rule.type)
    if aggregate is None:
        return f"{rule.type} is computed in pandas on the rows read (it is not pushed down)"
    if rule.via is not None:
        if rule.via.target not in column_types:
            return f"{rule.via.target} is not in the same database"
        if column_types[rule.dataset].get(rule.via.column) != column_types[rule.via.target].get(rule.via.target_column):
            return f"{rule.via.column} and {rule.via.target}.{rule.via.target_column} differ in type"
        read = [(rule.via.target, c) for c in _linked_reads(rule, via_period)]
    else:
        read = []
    read += [(rule.dataset, c) for c in _reads(rule, rule.primary_key, period)]
    for dataset, column in read:
        kind = column_types[dataset][column]
        if kind not in typed:
            return f"{dataset}.{column} is {kind}, which the database does not type as infopipe does"
    kind = column_types[rule.dataset].get(rule.column)
    if rule.column and aggregate.column_types is not None and kind not in aggregate.column_types:
        return f"{rule.type} of a {kind} column is computed in pandas (the database's arithmetic differs)"
    return None


@dataclass(frozen=True)
class SqlBackend:
    """Rules run by one database. `run([figure, records])` returns the figure query's row and the
    records' keys (an Arrow column), read in one snapshot.
    The records the database counted are then taken from the rows read (and validated) by their
    keys: every key must be there and the records must recount to the database's value, or the
    database changed since it was read."""

    engine: str
    connection: str  # the environment variable's name, as provenance names the database
    source: Callable[[str, list[str]], str]  # (dataset, columns) -> SELECT of them typed, plus ORDER
    writer: SqlWriter
    run: Callable[[list[str]], list[list[tuple]]]

    def apply(self, rule, tables: dict[str, pd.DataFrame], primary_key: str, period=None, via_period=None) -> RuleResult:
        import numpy as np
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        writer = replace(self.writer, column_name=rule.column)
        queries = sql_queries(rule, self.source, writer, primary_key, period, via_period)
        values, keys = self.run([queries.figure, queries.records])  # keys: an Arrow column
        value = SQL[rule.type].finish(values, rule)
        frame = tables[rule.dataset]
        stored = pa.array(frame[primary_key])
        counted = np.asarray(pc.is_in(stored, value_set=pc.cast(keys, stored.type)).fill_null(False))
        chosen = _keep(frame, pd.Series(counted, index=frame.index))  # in the order the rows were read
        computed = {"engine": self.engine, "connection": self.connection, "query": queries.figure,
                    "records_query": queries.records}
        if len(chosen) != len(keys) or not _same(recount(rule, chosen), value):
            raise DatabaseChanged(rule.dataset, self.connection)
        return RuleResult(value, chosen[primary_key], chosen, computed)


class DatabaseChanged(Exception):
    """The database's records are not the rows read and validated: it changed in between."""

    def __init__(self, dataset: str, connection: str):
        super().__init__(f"the records the database named by {connection} counted are not the rows of "
                         f"{dataset} read and validated in this run: the database changed while the run "
                         "read it; run again")


def _same(a, b) -> bool:
    if isinstance(a, tuple) or isinstance(b, tuple):
        return tuple(map(plain_value, a or ())) == tuple(map(plain_value, b or ()))
    return plain_value(a) == plain_value(b)


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
