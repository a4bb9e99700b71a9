"""Reviewer tools: verify catches tampering and names it; explain recounts; diff; crate; review page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import PROJECT
from infopipe.cli import main
from infopipe.run.pipeline import Paths, run
from infopipe.review import changed_since, diff, explain, verify
from infopipe.spec.model import load_spec


def paths_of(root: Path) -> Paths:
    return Paths.for_project(PROJECT, root)


def flip_byte(path: Path, offset: int = 200) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_verify_passes_on_an_untouched_run(good_copy):
    folder, problems = verify(paths_of(good_copy))
    assert problems == []
    assert folder.name == (good_copy / "outputs" / PROJECT / "latest").resolve().name


def test_verify_names_a_changed_output(good_copy):
    target = good_copy / "outputs" / PROJECT / "latest" / "panels" / "03-research_investment.svg"
    record = json.loads((target.parents[1] / "provenance.json").read_text())
    expected = next(o["sha256"] for o in record["outputs"] if o["path"] == "panels/03-research_investment.svg")
    flip_byte(target)
    _, problems = verify(paths_of(good_copy))
    assert [(p.check, Path(p.file).name) for p in problems] == [("hash-mismatch", "03-research_investment.svg")]
    assert expected in problems[0].message


def test_verify_keeps_an_intact_run_intact_after_the_raw_data_changes(good_copy, capsys):
    """Updated raw data is news, not a failure; the run's own copy of its inputs is what it checks."""
    flip_byte(good_copy / "data" / "raw" / PROJECT / "funders.csv", 20)
    folder, problems = verify(paths_of(good_copy))
    assert problems == []
    assert changed_since(paths_of(good_copy), folder) == [
        f"data/raw/{PROJECT}/funders.csv: changed since this run (the run keeps its own copy)"]
    assert main(["--root", str(good_copy), "verify"]) == 0
    assert f"NOTE data/raw/{PROJECT}/funders.csv: changed since" in capsys.readouterr().out


def test_verify_names_a_changed_copy_of_an_input_inside_the_run(good_copy):
    copy = good_copy / "outputs" / PROJECT / "latest" / "inputs" / "funders.csv"
    flip_byte(copy, 20)
    _, problems = verify(paths_of(good_copy))
    assert [(p.check, Path(p.file).name) for p in problems] == [("hash-mismatch", "funders.csv")]


def test_verify_names_an_edited_old_log_entry(good_copy):
    funders = good_copy / "data" / "raw" / PROJECT / "funders.csv"
    original = funders.read_bytes()
    funders.write_text("", encoding="utf-8")
    assert main(["--root", str(good_copy), "run", PROJECT]) == 1  # adds a second (failed) entry
    funders.write_bytes(original)
    log = good_copy / "outputs" / PROJECT / "provenance.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace('"institutions":"4"', '"institutions":"5"')
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, problems = verify(paths_of(good_copy))
    checks = {(p.check, p.line) for p in problems}
    assert ("log-chain", 2) in checks  # the entry after the edited one no longer matches it
    assert any(p.check == "log-record-mismatch" and "institutions" in p.message for p in problems)


def test_verify_rerun_rebuilds_identical_outputs(good_copy):
    _, problems = verify(paths_of(good_copy), rerun=True)
    assert problems == []


def test_explain_lists_records_that_recount_to_every_figure(good_root):
    spec = load_spec(good_root / "projects" / PROJECT / "spec.yaml")
    for figure in spec.figures:
        info = explain(paths_of(good_root), figure.id)
        assert info["recount"] == info["value"], figure.id
        assert len(info["records"]) == len(set(r[spec.datasets[figure.rule.dataset].primary_key]
                                                for r in info["records"]))
        assert all(r["source"] for r in info["records"])
        if figure.rule.type == "count_rows":
            assert len(info["records"]) == info["value"]


def test_explain_cli_prints_the_rule_records_and_inputs(good_root, capsys):
    assert main(["--root", str(good_root), "explain", "research_investment"]) == 0
    out = capsys.readouterr().out
    assert "add up funding_awards.amount_gbp" in out
    assert "funding_awards.csv" in out and "sha256" in out
    assert main(["--root", str(good_root), "explain", "research_investment", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["printed"] == info["published"] and info["recount"] == info["value"]


def test_diff_names_changed_figures_records_and_files(good_copy):
    before = (good_copy / "outputs" / PROJECT / "latest").resolve().name
    raw = good_copy / "data" / "raw" / PROJECT / "projects.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace(
        "ARC-SIC,Space in Common,arc_project,", "ARC-SIC,Space in Common,pilot,"), encoding="utf-8")
    spec = good_copy / "projects" / PROJECT / "spec.yaml"
    text = spec.read_text(encoding="utf-8")
    for figure in ("pilot_projects", "arc_projects"):  # accept the scenario's new counts
        text = text.replace(f"  - id: {figure}\n",
                            f"  - id: {figure}\n    accepted_difference: scenario for the diff test\n")
    spec.write_text(text, encoding="utf-8")
    after = run(paths_of(good_copy)).name
    result = diff(paths_of(good_copy), before, after)
    assert result["input_files_changed"] == [f"{PROJECT}/projects.csv"]
    changed = {c["figure"]: c for c in result["figures_changed"]}
    assert set(changed) == {"pilot_projects", "arc_projects"}
    assert changed["pilot_projects"]["records_added"] == ["ARC-SIC"]
    assert changed["arc_projects"]["records_removed"] == ["ARC-SIC"]
    assert int(changed["pilot_projects"]["after"]) == int(changed["pilot_projects"]["before"]) + 1


def test_crate_follows_provenance_run_crate_and_runcrate_reads_it(good_root):
    folder = (good_root / "outputs" / PROJECT / "latest").resolve()
    crate = json.loads((folder / "ro-crate-metadata.json").read_text())
    graph = {e["@id"]: e for e in crate["@graph"]}
    root = graph["./"]
    assert {"@id": "https://w3id.org/ro/wfrun/provenance/0.5"} in root["conformsTo"]
    files = [e for e in graph.values() if e["@type"] == "File" or "File" in e["@type"]]
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} - {"ro-crate-metadata.json"}
    assert len(files) == len(on_disk)
    assert all(len(f["sha256"]) == 64 and f["contentSize"] > 0 for f in files)
    steps = [e for e in graph.values() if e["@type"] == "HowToStep"]
    actions = [e for e in graph.values() if e["@type"] == "CreateAction"]
    assert len(actions) == len(steps) + 1  # one per step, plus the run
    runcrate = Path(sys.executable).parent / "runcrate"
    report = subprocess.run([str(runcrate), "report", str(folder)],
                            capture_output=True, text=True, check=True).stdout
    assert "inputs/funders.csv" in report and "page.png" in report
