"""Every shipped project end to end: each printed statement as the report printed it (or an accepted,
explained difference), every part of every figure recounted from its own lineage."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, copy_project
from infopipe.run.pipeline import Paths, run
from infopipe.review import explain, verify
from infopipe.spec.model import load_spec

PROJECTS = sorted(p.name for p in (ROOT / "projects").iterdir() if (p / "spec.yaml").is_file())


@pytest.mark.parametrize("project", PROJECTS)
def test_project_reproduces_what_its_report_printed(project, tmp_path):
    root = copy_project(tmp_path / "root", project)
    paths = Paths.for_project(project, root)
    folder = run(paths)
    figures = json.loads((folder / "figures.json").read_text(encoding="utf-8"))["figures"]
    for f in figures:
        if f["published"] is None:  # a breakdown's total the report did not print
            continue
        if f["accepted_difference"]:
            assert f["claim_holds"] is False and len(f["accepted_difference"]) > 20, f["id"]
            continue
        assert f["claim_holds"] is True, f["id"]
        assert f["printed"] == f["published"], f["id"]
    for f in figures:  # every figure recounts from the records its run kept
        info = explain(paths, f["id"], limit=0)
        assert info["recount"] == f["value"] and info["record_count"] == f["record_count"], f["id"]
    assert verify(paths)[1] == []
    spec = load_spec(paths.spec_file)
    svgs = sorted((folder / "panels").glob("*.svg"))
    assert len(svgs) == sum(1 for f in spec.figures if f.panel)


def test_coderefinery_uses_bounds_sentences_and_breakdowns(tmp_path):
    project = "coderefinery"
    folder = run(Paths.for_project(project, copy_project(tmp_path / "root", project)))
    figures = {f["id"]: f for f in json.loads((folder / "figures.json").read_text())["figures"]}
    assert figures["online_participants"]["claim_kind"] == "more_than"
    assert figures["online_participants"]["value"] > 2000 and figures["online_participants"]["printed"] == "over 2000"
    assert {f["kind"] for f in figures.values()} >= {"sentence", "breakdown", "part"}
    alt = json.loads((folder / "alt-text.json").read_text())
    assert alt["online_workshops"] == "6 online CodeRefinery tools workshops to over 2000 registered participants"
