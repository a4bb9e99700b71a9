"""Counting rules: count rows, count distinct values, or sum, over filtered records. No eval.

Each rule returns its value and the primary keys of the records that made it, so a reviewer can
recount the figure from those records alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .spec import Filter, Rule


@dataclass(frozen=True)
class RuleResult:
    value: float | int
    record_ids: tuple[str, ...]  # sorted primary keys of the records counted


def apply_rule(rule: Rule, frame: pd.DataFrame, primary_key: str) -> RuleResult:
    """Evaluate one rule on one typed table."""
    mask = pd.Series(True, index=frame.index)
    for flt in rule.where:
        mask &= filter_mask(flt, frame[flt.column])
    chosen = frame[mask]
    if rule.distinct_on:
        chosen = chosen.drop_duplicates(subset=list(rule.distinct_on), keep="first")
    if rule.type == "count_rows":
        value = len(chosen)
    elif rule.type == "count_distinct":
        chosen = chosen[chosen[rule.column].notna()]
        value = int(chosen[rule.column].nunique())
        chosen = chosen.drop_duplicates(subset=[rule.column], keep="first")
    elif rule.type == "sum":
        chosen = chosen[chosen[rule.column].notna()]
        total = chosen[rule.column].sum()
        value = int(total) if float(total).is_integer() else float(total)
    else:
        raise ValueError(f"unknown rule type {rule.type}")
    return RuleResult(value, tuple(sorted(chosen[primary_key].astype(str))))


def filter_mask(flt: Filter, column: pd.Series) -> pd.Series:
    """Which rows one filter keeps; missing values never match a comparison."""
    present = column.notna()
    if flt.op == "not_null":
        return present if flt.value else ~present
    if flt.op == "equals":
        return present & (column == _like(column, flt.value)).fillna(False).astype(bool)
    if flt.op == "in":
        return present & column.isin([_like(column, v) for v in flt.value]).astype(bool)
    if flt.op == "between":
        low, high = (_like(column, v) for v in flt.value)
        return present & ((column >= low) & (column <= high)).fillna(False).astype(bool)
    raise ValueError(f"unknown filter {flt.op}")


def _like(column: pd.Series, value):
    """A spec value in the column's own type, so 2019-01-01 compares with dates, 5 with numbers."""
    if pd.api.types.is_datetime64_any_dtype(column) and isinstance(value, (str, dt.date)):
        return pd.Timestamp(value)
    return value


def rule_columns(rule: Rule, primary_key: str) -> list[str]:
    """The columns a rule reads: its key, counted column, filters and dedup key, in that order."""
    names = [primary_key, rule.column, *(f.column for f in rule.where), *rule.distinct_on]
    return list(dict.fromkeys(n for n in names if n))


def evidence_rows(rule: Rule, frame: pd.DataFrame, primary_key: str, record_ids) -> list[dict]:
    """The records behind a figure, with the fields the rule used and each row's source."""
    columns = rule_columns(rule, primary_key) + (["source"] if "source" in frame else [])
    chosen = frame[frame[primary_key].isin(list(record_ids))].sort_values(primary_key)
    return [{c: _plain(row[c]) for c in dict.fromkeys(columns)} for _, row in chosen.iterrows()]


def _plain(value):
    if pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value
