"""The JSON Schema of spec.yaml as it is written, for editors (`infopipe schema`).

pydantic describes the model's internal form (a filter as {column, op, value}, a reference as a pair);
an editor needs the form an analyst writes: a filter as `{column: kind, equals: pilot}`, a reference as
`dataset.column`, a claim as the text the report printed, a number where YAML reads one. So the
model's schema is taken as the base and each such place is described again from the registries
(filter ops, rule types, panel kinds, column types, claim kinds, print placeholders), so the schema
cannot drift from the code. tests/test_schema.py validates every shipped spec and the scaffold.
"""

from __future__ import annotations

from typing import Any

from infopipe.concepts.claims import KINDS as CLAIMS
from infopipe.concepts.formats import FORMATS
from infopipe.concepts.panels import KINDS as PANELS
from infopipe.concepts.rules import FILTERS, RULES
from infopipe.concepts.column_types import TYPES as COLUMN_TYPES
from infopipe.spec.model import Spec

SCALAR = {"type": ["string", "number", "boolean"]}  # YAML 1.2 reads an unquoted date as a string
SHAPES = {
    "scalar": SCALAR,
    "list": {"type": "array", "items": SCALAR, "minItems": 1},
    "pair": {"type": "array", "items": SCALAR, "minItems": 2, "maxItems": 2},
    "flag": {"type": "boolean"},
    "text": {"type": "string", "minLength": 1},
}
PAGES = {"description": "page numbers: 5, \"2, 5-6\" or [2, 5, 6]",
         "anyOf": [{"type": "integer", "minimum": 1}, {"type": "string"},
                   {"type": "array", "items": {"type": "integer", "minimum": 1}}]}


def _one_of_text(values: list[str]) -> str:
    return "; ".join(values)


def _claim_text() -> str:
    from infopipe.spec.reference import CLAIM_EXAMPLES

    return ("What the report printed, read as a claim the value must satisfy. " + _one_of_text(
        [f"{name}: {', '.join(repr(e) for e in CLAIM_EXAMPLES.get(name, []))}" for name in CLAIMS]))


def _filter() -> dict:
    """A filter as written: `column` and exactly one op, whose value has the op's shape."""
    return {"description": "keep rows where the column meets one condition: {column: NAME, OP: VALUE}",
            "oneOf": [{"type": "object", "additionalProperties": False, "required": ["column", op.name],
                       "description": op.words("column", {"scalar": "x", "list": ("x", "y"), "pair": ("a", "b"),
                                                          "flag": True, "text": "abc"}[op.shape]),
                       "properties": {"column": {"type": "string"}, op.name: SHAPES[op.shape]}}
                      for op in FILTERS.values()]}


def json_schema() -> dict:
    """The spec's JSON Schema as written (draft 2020-12)."""
    schema: dict[str, Any] = Spec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "infopipe project spec (projects/<project>/spec.yaml)"
    defs = schema["$defs"]
    defs["Filter"] = _filter()

    column = defs["ColumnSpec"]["properties"]
    column["type"] = {"enum": list(COLUMN_TYPES), "description": "the column's type: " + _one_of_text(
        [f"{t.name}: {t.accepts}" for t in COLUMN_TYPES.values()])}
    column["references"] = {"type": "string", "pattern": r"^[^.\s]+\.[^.\s]+$",
                            "description": "dataset.column: every value must name a row of that dataset"}

    rule = defs["Rule"]["properties"]
    rule["type"] = {"enum": list(RULES), "description": _one_of_text(
        [f"{r.name}: {r.words(_Example(r.name))}" for r in RULES.values()])}
    rule["distinct_on"] = {"description": "count rows with the same values of these columns once",
                           "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}

    figure = defs["FigureSpec"]["properties"]
    figure["published"] = {"anyOf": [{"type": "string", "maxLength": 200}, {"type": "number"}],
                           "description": _claim_text()}
    figure["print"] = {"type": "string", "maxLength": 200, "description": "how to print the value: " + _one_of_text(
        [f"{{{f.name}{':' + f.argument.upper() if f.argument else ''}}} {f.words}" for f in FORMATS.values()])}
    figure["kind"] = {"enum": list(PANELS), "description": "the panel kind (when left out, inferred: "
                      + _one_of_text([f"{k.name}: {k.words}" for k in PANELS.values()]) + ")"}
    defs["Part"]["properties"]["published"] = {"anyOf": [{"type": "string", "maxLength": 200}, {"type": "number"}],
                                               "description": _claim_text()}

    defs["Report"]["properties"]["pages"] = PAGES
    defs["Exclusion"]["properties"]["pages"] = PAGES
    defs["Exclusion"]["properties"]["text"] = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                                               "description": "the page's own text (or texts) holding the numbers left out"}
    return schema


class _Example:
    """A stand-in rule for the words of each rule type."""

    def __init__(self, kind: str):
        self.type, self.dataset, self.column = kind, "events", "amount"
        self.part = ()
