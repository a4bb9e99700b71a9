"""Counting rules on small tables built here, and property tests against a naive recount."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infopipe.figures import format_value
from infopipe.rules import apply_rule, evidence_rows, filter_mask
from infopipe.spec import Filter, Rule

KINDS = ["pilot", "arc_project", "other"]


def table(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["id", "kind", "amount", "day", "org"])
    frame["id"] = frame["id"].astype("str")
    frame["amount"] = frame["amount"].astype("Float64")
    frame["day"] = pd.to_datetime(frame["day"]).astype("datetime64[ns]")
    return frame


SMALL = table([
    {"id": "a", "kind": "pilot", "amount": 10.0, "day": "2018-01-05", "org": "X"},
    {"id": "b", "kind": "pilot", "amount": None, "day": "2019-03-01", "org": "X"},
    {"id": "c", "kind": "arc_project", "amount": 2.5, "day": None, "org": "Y"},
    {"id": "d", "kind": None, "amount": 7.5, "day": "2019-12-31", "org": "Z"},
])


def test_count_rows_with_equals_filter():
    result = apply_rule(Rule("count_rows", "t", where=(Filter("kind", "equals", "pilot"),)), SMALL, "id")
    assert (result.value, result.record_ids) == (2, ("a", "b"))


def test_missing_values_never_match_a_filter():
    rule = Rule("count_rows", "t", where=(Filter("kind", "in", ("pilot", "arc_project")),))
    assert apply_rule(rule, SMALL, "id").record_ids == ("a", "b", "c")


def test_sum_skips_missing_amounts_and_lists_only_summed_records():
    result = apply_rule(Rule("sum", "t", column="amount"), SMALL, "id")
    assert (result.value, result.record_ids) == (20, ("a", "c", "d"))


def test_count_distinct_and_distinct_on():
    assert apply_rule(Rule("count_distinct", "t", column="org"), SMALL, "id").value == 3
    rule = Rule("count_rows", "t", distinct_on=("org",))
    assert apply_rule(rule, SMALL, "id").record_ids == ("a", "c", "d")


def test_date_between_filter_takes_iso_strings_and_dates():
    for bounds in (("2019-01-01", "2019-12-31"), (dt.date(2019, 1, 1), dt.date(2019, 12, 31))):
        rule = Rule("count_rows", "t", where=(Filter("day", "between", bounds),))
        assert apply_rule(rule, SMALL, "id").record_ids == ("b", "d")


def test_not_null_filter():
    assert filter_mask(Filter("amount", "not_null", True), SMALL["amount"]).tolist() == [True, False, True, True]


def test_evidence_rows_show_the_fields_the_rule_used():
    rule = Rule("sum", "t", column="amount", where=(Filter("kind", "equals", "pilot"),))
    rows = evidence_rows(rule, SMALL, "id", ("a",))
    assert rows == [{"id": "a", "amount": 10.0, "kind": "pilot"}]


@pytest.mark.parametrize("value, fmt, printed", [
    (15, {"style": "integer"}, "15"),
    (1_000_000, {"style": "money_short", "currency": "£"}, "£1m"),
    (1_250_000, {"style": "money_short", "currency": "£"}, "£1.2m"),
    (250_000, {"style": "money_short", "currency": "£"}, "£250k"),
    (999, {"style": "money_short", "currency": "£"}, "£999"),
    (50, {"style": "plus"}, "50+"),
])
def test_format_value(value, fmt, printed):
    assert format_value(value, fmt) == printed


# --- property tests: every rule equals a naive loop over plain dicts, and its lineage recounts it ---

rows_strategy = st.lists(
    st.fixed_dictionaries({
        "kind": st.one_of(st.none(), st.sampled_from(KINDS)),
        "amount": st.one_of(st.none(), st.integers(0, 10_000).map(float)),
        "day": st.one_of(st.none(), st.dates(dt.date(2015, 1, 1), dt.date(2020, 12, 31))),
        "org": st.sampled_from(["X", "Y", "Z", "W"]),
    }),
    max_size=30,
).map(lambda rows: [{"id": f"r{i:03d}", **r} for i, r in enumerate(rows)])

filter_strategy = st.one_of(
    st.builds(lambda k: Filter("kind", "equals", k), st.sampled_from(KINDS)),
    st.builds(lambda ks: Filter("kind", "in", tuple(ks)), st.lists(st.sampled_from(KINDS), min_size=1, unique=True)),
    st.builds(lambda c: Filter(c, "not_null", True), st.sampled_from(["kind", "amount", "day"])),
    st.builds(lambda a, b: Filter("day", "between", (min(a, b), max(a, b))),
              st.dates(dt.date(2015, 1, 1), dt.date(2020, 12, 31)), st.dates(dt.date(2015, 1, 1), dt.date(2020, 12, 31))),
)


def keeps(flt: Filter, row: dict) -> bool:
    value = row[flt.column]
    if flt.op == "not_null":
        return value is not None
    if value is None:
        return False
    if flt.op == "equals":
        return value == flt.value
    if flt.op == "in":
        return value in flt.value
    return flt.value[0] <= value <= flt.value[1]


def naive(rule: Rule, rows: list[dict]):
    chosen = [r for r in rows if all(keeps(f, r) for f in rule.where)]
    if rule.distinct_on:
        seen, unique = set(), []
        for r in chosen:
            key = tuple(r[c] for c in rule.distinct_on)
            if key not in seen:
                seen.add(key)
                unique.append(r)
        chosen = unique
    if rule.type == "count_rows":
        return len(chosen)
    if rule.type == "count_distinct":
        return len({r[rule.column] for r in chosen if r[rule.column] is not None})
    return sum(r[rule.column] for r in chosen if r[rule.column] is not None)


rule_strategy = st.builds(
    lambda kind, where, distinct: Rule(kind[0], "t", column=kind[1], where=tuple(where), distinct_on=distinct),
    st.sampled_from([("count_rows", None), ("count_distinct", "org"), ("count_distinct", "kind"), ("sum", "amount")]),
    st.lists(filter_strategy, max_size=3),
    st.sampled_from([(), ("org",), ("kind", "org")]),
)


@settings(max_examples=300, deadline=None)
@given(rows=rows_strategy, rule=rule_strategy)
def test_rules_match_a_naive_recount_and_lineage_reproduces_the_value(rows, rule):
    frame = table(rows)
    result = apply_rule(rule, frame, "id")
    assert result.value == naive(rule, rows)
    lineage = [r for r in rows if r["id"] in set(result.record_ids)]
    assert len(lineage) == len(result.record_ids)
    if rule.type == "count_rows":
        assert len(lineage) == result.value
    elif rule.type == "count_distinct":
        assert len({r[rule.column] for r in lineage}) == result.value
    else:
        assert sum(r["amount"] for r in lineage) == result.value
