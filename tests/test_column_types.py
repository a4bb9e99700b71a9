"""The column-type registry (concepts/column_types.py): a type added as one entry is known to the
spec, its traits give it the rules, filters and constraints they name, spec values are read in it,
its cells are parsed and its failures worded by it, and the README and the JSON Schema list it.

`percent` is the type added this way (`45`, `45%`, `12.5%`: survey results and shares as reports
print them). Every registered type is also checked against its own cell parser in test_columns.py.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from infopipe.concepts import column_types
from infopipe.concepts.columns import TYPES
from infopipe.concepts.rules import FILTERS, RULES
from infopipe.errors import InfopipeError
from infopipe.run.pipeline import Paths, validate_only
from infopipe.spec.reference import reference
from infopipe.spec.schema import json_schema

SPEC = """project: survey
title: Survey
datasets:
  regions:
    file: regions.csv
    primary_key: region_id
    columns:
      region_id: {type: id}
      satisfied: {type: percent, min: 0, max: 100}
figures:
  - id: satisfied
    label: satisfied, where most are
    published: "around FIGURE%"
    rule: {type: mean, dataset: regions, column: satisfied, where: [{column: satisfied, WHERE}]}
    explanation: The mean share of satisfied people over the regions where at least half are.
"""
ROWS = {"north": "45%", "south": "60", "east": " 75.5% ", "west": "50%"}


def _project(tmp_path, rows: dict[str, str], figure: str, where: str = "gte: 50"):
    (tmp_path / "projects" / "survey").mkdir(parents=True, exist_ok=True)
    (tmp_path / "projects" / "survey" / "spec.yaml").write_text(
        SPEC.replace("FIGURE", figure).replace("WHERE", where), encoding="utf-8")
    (tmp_path / "data" / "raw" / "survey").mkdir(parents=True, exist_ok=True)
    (tmp_path / "data" / "raw" / "survey" / "regions.csv").write_text(
        "region_id,satisfied\n" + "".join(f"{k},{v}\n" for k, v in rows.items()), encoding="utf-8")
    return Paths.for_project("survey", tmp_path)


def _problems(paths) -> list:
    with pytest.raises(InfopipeError) as caught:
        validate_only(paths)
    return caught.value.problems


def test_percent_cells_are_read_as_the_number_before_the_sign():
    cells = ["45", "45%", " 12.5% ", "-3%", "", "45 %", "%", "45%%", "4 5", "1e3", "0.5%", "½%"]
    parsed = TYPES["percent"].parse(pa.array(cells))
    assert parsed.failed.tolist() == [False, False, False, False, False, True, True, True, True, True, False, True]
    assert parsed.values.tolist()[:5] == [45.0, 45.0, 12.5, -3.0, pd.NA] and parsed.values.iloc[10] == 0.5
    assert str(parsed.values.dtype) == "Float64"
    err = TYPES["percent"].explain("45 %")
    assert (err.check, str(err)) == ("type:percent", column_types.MESSAGES["percent"])


def test_the_traits_give_percent_the_numeric_rules_filters_and_constraints():
    assert "percent" in RULES["mean"].column_types and "percent" in RULES["sum"].column_types
    assert "percent" in FILTERS["between"].types and "percent" not in FILTERS["contains"].types
    assert "percent" not in RULES["date_range"].column_types
    assert column_types.coerce_value(50, "percent") == 50
    with pytest.raises(ValueError, match=r"^'half' is not a number, and the column is percent$"):
        column_types.coerce_value("half", "percent")


def test_a_percent_column_runs_through_a_report(tmp_path):
    kept = [v for v in (float(t.strip(" %")) for t in ROWS.values()) if v >= 50]
    mean = sum(kept) / len(kept)
    result = validate_only(_project(tmp_path, ROWS, f"{mean:.0f}"))
    figure = {f.id: f for f in result["figures"]}["satisfied"]
    assert figure.value == pytest.approx(mean) and figure.claim_holds
    checks = result["datasets"][0]["checks"]
    assert "satisfied: percent, required, >= 0.0, <= 100.0" in checks


def test_bad_percent_cells_and_spec_values_are_located_and_worded(tmp_path):
    rows = {**ROWS, "west": "110%", "centre": "most"}
    found = [(p.check, p.row, p.column, p.message, p.value) for p in _problems(_project(tmp_path, rows, "68"))]
    assert found == [("type:percent", 5, "satisfied", column_types.MESSAGES["percent"], "most"),
                     ("max", 4, "satisfied", "must be at most 100.0", "110%")]
    found = [(p.check, p.message) for p in _problems(_project(tmp_path / "b", ROWS, "68", where="gte: half"))]
    assert found == [("filter-value", "filter in figure 'satisfied' on 'satisfied': 'half' is not a number, "
                                      "and the column is percent")]


def test_the_readme_and_the_json_schema_list_the_registered_types():
    table = reference().split("#### Column types", 1)[1]
    for t in column_types.TYPES.values():
        assert f"| `{t.name}` | {t.accepts} | `{t.dtype}` |" in table
    assert "| `percent` | a percentage" in table and "rules `sum`, `min`, `max`, `mean`, `median`" in table
    enum = json_schema()["$defs"]["ColumnSpec"]["properties"]["type"]["enum"]
    assert enum == list(column_types.TYPES) and "percent" in enum
