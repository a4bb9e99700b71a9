"""Column constraints as registry entries (concepts/constraints.py): each is a named pandera Check,
its failures come back by the Check's position and name in `failure_cases`, with the entry's words;
a new constraint is one entry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import PROJECT
from infopipe.concepts import constraints
from infopipe.data.validate import build_schema, describe_checks
from infopipe.errors import InfopipeError
from infopipe.run.pipeline import Paths, validate_only
from infopipe.spec.model import load_spec

TODAY = dt.date(2026, 1, 1)


def problems(root: Path) -> list:
    with pytest.raises(InfopipeError) as caught:
        validate_only(Paths.for_project(PROJECT, root), today=TODAY)
    return caught.value.problems


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_every_declared_constraint_is_a_named_pandera_check(project_root):
    spec = load_spec(project_root / "projects" / PROJECT / "spec.yaml")
    awards = spec.datasets["funding_awards"]
    schema = build_schema(awards, TODAY)
    assert [c.name for c in schema.columns["amount_gbp"].checks] == ["min"]
    assert [c.name for c in schema.columns["start_date"].checks] == ["future-date"]
    assert [c.name for c in schema.checks] == ["date-order"]


def test_failures_come_back_with_the_constraints_name_and_words(project_root):
    awards = project_root / "data" / "raw" / PROJECT / "funding_awards.csv"
    edit(awards, ",1000000,", ",-5,")
    edit(awards, "2016-01-01,2020-04-30", "2020-01-01,2019-04-30")
    found = {(p.check, p.column): p.message for p in problems(project_root)}
    assert found[("min", "amount_gbp")] == "must be at least 0.0"
    assert found[("date-order", "end_date")] == "end_date is before start_date"


def test_a_new_constraint_is_one_entry(project_root, monkeypatch):
    """Registered here for the test: every amount must be a whole thousand."""
    import pandera.pandas as pa

    thousands = constraints.Constraint(
        "whole-thousands", lambda col: col.type == "money", lambda col, today: pa.Check(lambda s: s % 1000 == 0,
                                                                                        name="whole-thousands"),
        lambda col, today: "must be a whole number of thousands", lambda col: "whole thousands")
    monkeypatch.setitem(constraints.CONSTRAINTS, thousands.name, thousands)
    spec = load_spec(project_root / "projects" / PROJECT / "spec.yaml")
    assert "amount_gbp: money, required, >= 0.0, whole thousands" in describe_checks(spec.datasets["funding_awards"])
    edit(project_root / "data" / "raw" / PROJECT / "funding_awards.csv", ",1000000,", ",1000500,")
    found = [(p.check, p.column, p.message) for p in problems(project_root)]
    assert found == [("whole-thousands", "amount_gbp", "must be a whole number of thousands")]
