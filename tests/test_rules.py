"""Counting rules on small tables built here, and property tests against a naive recount."""

from __future__ import annotations

import datetime as dt
import statistics

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infopipe.concepts.rules import apply_rule, recount
from infopipe.spec.compile import CompiledRule, Link
from infopipe.spec.compile import Filter as TypedFilter
from infopipe.spec.model import Filter, Rule

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


def R(kind: str, column=None, where=(), distinct_on=(), part=()) -> Rule:
    return Rule(type=kind, dataset="t", column=column, where=tuple(where), distinct_on=tuple(distinct_on),
                part=tuple(part))


def F(column: str, op: str, value) -> Filter:
    return Filter(column=column, op=op, value=value)


def ids(rule: Rule, frame=None) -> list[str]:
    return list(apply_rule(rule, {"t": SMALL if frame is None else frame}, "id").record_ids)


def value(rule: Rule):
    return apply_rule(rule, {"t": SMALL}, "id").value


def test_count_rows_with_equals_filter():
    rule = R("count_rows", where=[F("kind", "equals", "pilot")])
    assert (value(rule), ids(rule)) == (2, ["a", "b"])


def test_missing_values_never_match_a_filter():
    assert ids(R("count_rows", where=[F("kind", "in", ("pilot", "arc_project"))])) == ["a", "b", "c"]
    assert ids(R("count_rows", where=[F("kind", "not_equals", "pilot")])) == ["c"]
    assert ids(R("count_rows", where=[F("kind", "not_in", ("pilot",))])) == ["c"]


def test_sum_skips_missing_amounts_and_lists_only_summed_records():
    rule = R("sum", "amount")
    assert (value(rule), ids(rule)) == (20, ["a", "c", "d"])


@pytest.mark.parametrize("kind, expected", [("min", 2.5), ("max", 10), ("mean", 20 / 3), ("median", 7.5)])
def test_statistics_over_a_column(kind, expected):
    assert value(R(kind, "amount")) == pytest.approx(expected)


def test_share_is_the_percentage_of_selected_rows():
    rule = R("share", part=[F("org", "equals", "X")])
    assert value(rule) == 50.0
    assert value(R("share", where=[F("kind", "equals", "pilot")], part=[F("amount", "not_null", True)])) == 50.0
    # a share of no rows is undefined, as the mean of no rows is, never 0 %
    assert value(R("share", where=[F("kind", "equals", "nothing")], part=[F("org", "equals", "X")])) is None


def test_count_distinct_and_distinct_on():
    assert value(R("count_distinct", "org")) == 3
    assert ids(R("count_rows", distinct_on=("org",))) == ["a", "c", "d"]


def test_comparison_and_text_filters():
    assert ids(R("count_rows", where=[F("amount", "gt", 7.5)])) == ["a"]
    assert ids(R("count_rows", where=[F("amount", "gte", 7.5)])) == ["a", "d"]
    assert ids(R("count_rows", where=[F("amount", "lt", 7.5)])) == ["c"]
    assert ids(R("count_rows", where=[F("amount", "lte", 7.5)])) == ["c", "d"]
    assert ids(R("count_rows", where=[F("kind", "contains", "proj")])) == ["c"]
    assert ids(R("count_rows", where=[F("kind", "starts_with", "pil")])) == ["a", "b"]
    assert ids(R("count_rows", where=[F("kind", "is_empty", True)])) == ["d"]


def test_date_between_filter_takes_dates():
    rule = R("count_rows", where=[F("day", "between", (dt.date(2019, 1, 1), dt.date(2019, 12, 31)))])
    assert ids(rule) == ["b", "d"]


def test_reporting_period_keeps_rows_dated_inside_it():
    rule = R("count_rows")
    result = apply_rule(rule, {"t": SMALL}, "id", period=("day", dt.date(2019, 1, 1), dt.date(2019, 6, 30)))
    assert list(result.record_ids) == ["b"]


def test_count_through_a_reference():
    orgs = pd.DataFrame({"org": ["X", "Y", "Z"], "country": ["UK", "FR", "UK"]})
    rule = CompiledRule(type="count_rows", dataset="t", primary_key="id",
                        via=Link("org", "orgs", "org", (TypedFilter("country", "equals", "UK"),)))
    result = apply_rule(rule, {"t": SMALL, "orgs": orgs}, "id")
    assert list(result.record_ids) == ["a", "b", "d"]


def test_not_null_filter():
    assert ids(R("count_rows", where=[F("amount", "not_null", True)])) == ["a", "c", "d"]


def test_recount_from_listed_records_gives_the_value():
    for rule in (R("sum", "amount"), R("count_distinct", "org"), R("share", part=[F("org", "equals", "X")]),
                 R("median", "amount", where=[F("amount", "gt", 1)])):
        result = apply_rule(rule, {"t": SMALL}, "id")
        assert recount(rule, SMALL[SMALL["id"].isin(result.record_ids)]) == result.value


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

DATES = st.dates(dt.date(2015, 1, 1), dt.date(2020, 12, 31))
filter_strategy = st.one_of(
    st.builds(lambda op, k: F("kind", op, k), st.sampled_from(["equals", "not_equals"]), st.sampled_from(KINDS)),
    st.builds(lambda op, ks: F("kind", op, tuple(ks)), st.sampled_from(["in", "not_in"]),
              st.lists(st.sampled_from(KINDS), min_size=1, unique=True)),
    st.builds(lambda op, c, flag: F(c, op, flag), st.sampled_from(["not_null", "is_empty"]),
              st.sampled_from(["kind", "amount", "day"]), st.booleans()),
    st.builds(lambda a, b: F("day", "between", (min(a, b), max(a, b))), DATES, DATES),
    st.builds(lambda op, x: F("amount", op, float(x)), st.sampled_from(["gt", "gte", "lt", "lte"]), st.integers(0, 10_000)),
    st.builds(lambda op, x: F("day", op, x), st.sampled_from(["gt", "gte", "lt", "lte"]), DATES),
    st.builds(lambda op, t: F("kind", op, t), st.sampled_from(["contains", "starts_with"]), st.sampled_from(["p", "pi", "arc", "_", "x"])),
)

NAIVE_OPS = {
    "equals": lambda v, x: v == x, "not_equals": lambda v, x: v != x, "in": lambda v, x: v in x,
    "not_in": lambda v, x: v not in x, "between": lambda v, x: x[0] <= v <= x[1],
    "gt": lambda v, x: v > x, "gte": lambda v, x: v >= x, "lt": lambda v, x: v < x, "lte": lambda v, x: v <= x,
    "contains": lambda v, x: x in v, "starts_with": lambda v, x: v.startswith(x),
}


def keeps(flt: Filter, row: dict) -> bool:
    value = row[flt.column]
    if flt.op in ("not_null", "is_empty"):
        return (value is not None) == (flt.value == (flt.op == "not_null"))
    return value is not None and NAIVE_OPS[flt.op](value, flt.value)


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
    if rule.type == "share":
        return 100.0 * sum(all(keeps(f, r) for f in rule.part) for r in chosen) / len(chosen) if chosen else None
    numbers = sorted(r[rule.column] for r in chosen if r[rule.column] is not None)
    if rule.type == "sum":
        return sum(numbers)
    if not numbers:
        return None
    return {"min": numbers[0], "max": numbers[-1], "mean": sum(numbers) / len(numbers),
            "median": statistics.median(numbers)}[rule.type]


rule_strategy = st.builds(
    lambda kind, where, distinct, part: R(kind[0], kind[1], where, distinct, part if kind[0] == "share" else ()),
    st.sampled_from([("count_rows", None), ("count_distinct", "org"), ("count_distinct", "kind"), ("sum", "amount"),
                     ("min", "amount"), ("max", "amount"), ("mean", "amount"), ("median", "amount"), ("share", None)]),
    st.lists(filter_strategy, max_size=3),
    st.sampled_from([(), ("org",), ("kind", "org")]),
    st.lists(filter_strategy, min_size=1, max_size=2),
)


@settings(max_examples=400, deadline=None)
@given(rows=rows_strategy, rule=rule_strategy)
def test_rules_match_a_naive_recount_and_lineage_reproduces_the_value(rows, rule):
    frame = table(rows)
    result = apply_rule(rule, {"t": frame}, "id")
    expected = naive(rule, rows)
    if expected is None:
        assert pd.isna(result.value)
        return
    assert result.value == pytest.approx(expected)
    lineage = frame[frame["id"].isin(set(result.record_ids))]
    assert len(lineage) == len(result.record_ids)
    assert recount(rule, lineage) == pytest.approx(result.value)


def test_a_rule_types_own_parameters_are_declared_in_its_entry(project_root, monkeypatch):
    """`part` belongs to the rule types whose entry names it: a new one takes it with no other edit."""
    import dataclasses

    from infopipe.concepts import rules
    from infopipe.errors import InfopipeError
    from infopipe.spec.model import load_spec

    ratio = dataclasses.replace(rules.RULES["share"], name="ratio", needs={"part": "the rows counted above the line"})
    monkeypatch.setitem(rules.RULES, "ratio", ratio)
    spec = project_root / "projects" / "jam-and-justice" / "spec.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("rule: {type: count_rows, dataset: institutions}",
                                 "rule: {type: ratio, dataset: institutions}")
                    .replace("rule: {type: count_rows, dataset: collectives}",
                             "rule: {type: count_rows, dataset: collectives, part: [{column: name, equals: x}]}"),
                    encoding="utf-8")
    with pytest.raises(InfopipeError) as caught:
        load_spec(spec)
    assert [(p.check, p.message) for p in caught.value.problems] == [
        ("required", "rule of figure 'institutions': ratio needs 'part', the rows counted above the line"),
        ("spec-shape", "rule of figure 'action_research_collective': 'part' belongs to share and ratio rules")]
