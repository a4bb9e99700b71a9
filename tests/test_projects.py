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
# Where the page cannot yet spell a number as the report did, the printed text must still be a true
# claim about the value; the reason is said here, once, until the print language closes the gap.
PRINT_GAPS = {"unhcr-global-trends": "the report writes '68.3 million'; the page prints '68.3m' (no print "
                                     "placeholder writes the word 'million' yet)"}


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
        if project in PRINT_GAPS and "million" in f["published"]:
            assert f["printed_holds"] is True and f["printed"].endswith("m"), f["id"]
        else:
            assert f["printed"] == f["published"], f["id"]
    for f in figures:  # every figure recounts from the records its run kept
        info = explain(paths, f["id"], limit=0)
        assert info["recount"] == f["value"] and info["record_count"] == f["record_count"], f["id"]
        if (f.get("mark") or {}).get("share") is not None:
            assert info["share_recount"] == pytest.approx(f["mark"]["share"]), f["id"]
    assert verify(paths)[1] == []
    spec = load_spec(paths.spec_file)
    svgs = sorted(p for p in (folder / "panels").glob("*.svg") if not p.name.endswith(".plot.svg"))
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


def test_unhcr_page_has_big_numbers_and_charts_each_mark_checked(tmp_path):
    """The third report: a breakdown of the 2023 total, bars over years, a share, a map and a ranking;
    every value the report printed for a mark is checked as a claim, and the marks it did not print say so."""
    project = "unhcr-global-trends"
    folder = run(Paths.for_project(project, copy_project(tmp_path / "root", project)))
    figures = {f["id"]: f for f in json.loads((folder / "figures.json").read_text())["figures"]}
    kinds = {f["kind"] for f in figures.values() if f.get("parent") is None}
    assert kinds == {"breakdown", "bar", "share", "map"}
    years = [f for f in figures.values() if f.get("parent") == "displaced_by_year"]
    assert [f["mark"]["key"] for f in years] == [str(y) for y in range(2014, 2024)]
    assert [f["published"] for f in years] == [None] * 9 + ["117.3 million"]
    assert years[-1]["claim_holds"] is True and years[-1]["value"] == 117_300_000
    claims = [f for f in figures.values() if f.get("parent") == "new_claims_by_country"]
    assert {f["mark"]["code"]: f["value"] for f in claims} == {
        "USA": 1_200_000, "DEU": 329_100, "EGY": 183_100, "ESP": 163_200, "CAN": 146_800}
    assert all(f["claim_holds"] for f in claims)
    shares = [f for f in figures.values() if f.get("parent") == "displaced_2023_by_type"]
    assert sum(f["value"] for f in shares) == figures["displaced_2023_by_type"]["value"]
    assert sum(f["mark"]["share"] for f in shares) == pytest.approx(100)
    ranked = [f["mark"]["label"] for f in figures.values() if f.get("parent") == "hosted_relative_to_population"]
    assert ranked == ["Aruba", "Lebanon", "Montenegro", "Curaçao", "Jordan"]
    made = {o["path"]: o.get("renderer") for o in json.loads((folder / "provenance.json").read_text())["outputs"]}
    assert sum(1 for r in made.values() if r == "plotly+kaleido") == 4
