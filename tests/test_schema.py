"""`infopipe schema` describes the spec as it is written: every shipped spec and the scaffold pass a
JSON Schema validator (jsonschema), and the places where the written form differs from the model
(filters, references, claims as numbers) are checked for real: a wrong op or reference fails."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import ROOT
from infopipe.cli import main
from infopipe.spec.schema import json_schema

SPECS = sorted((ROOT / "projects").glob("*/spec.yaml"))


class _Yaml12(yaml.SafeLoader):
    """YAML as an editor's language server reads it (YAML 1.2 core): an unquoted date is text."""


_Yaml12.yaml_implicit_resolvers = {k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
                                   for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def written(path: Path) -> dict:
    text = path.read_text(encoding="utf-8").replace("__NAME__", "example")  # as `infopipe new example` writes it
    return yaml.load(text, Loader=_Yaml12)


def errors(doc: dict) -> list[str]:
    validator = jsonschema.Draft202012Validator(json_schema())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(json_schema())


@pytest.mark.parametrize("path", SPECS + [ROOT / "src" / "infopipe" / "spec" / "scaffold_files" / "spec.yaml"],
                         ids=lambda p: p.parent.name)
def test_every_shipped_spec_and_the_scaffold_pass_it(path):
    assert errors(written(path)) == []


def test_what_the_model_would_refuse_the_schema_refuses_too():
    doc = written(ROOT / "projects" / "jam-and-justice" / "spec.yaml")
    bad_op = copy.deepcopy(doc)
    bad_op["figures"][3]["rule"]["where"][0] = {"column": "selected", "equal": True}
    two_ops = copy.deepcopy(doc)
    two_ops["figures"][3]["rule"]["where"][0] = {"column": "selected", "equals": True, "in": [True]}
    bad_ref = copy.deepcopy(doc)
    bad_ref["datasets"]["funding_awards"]["columns"]["funder_id"]["references"] = "funders"
    bad_kind = copy.deepcopy(doc)
    bad_kind["figures"][0]["kind"] = "donut"
    for broken in (bad_op, two_ops, bad_ref, bad_kind):
        assert errors(broken), broken


def test_the_command_prints_it(capsys):
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json_schema()
    ops = {op for choice in printed["$defs"]["Filter"]["oneOf"] for op in choice["required"]} - {"column"}
    assert "equals" in ops and "between" in ops
