"""Runs redo only what changed: each case edits one thing and checks exactly which datasets, figures
and files were redone, and that every other file is the previous run's bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import PROJECT
from infopipe.run.pipeline import Paths, run
from infopipe.run.provenance import read_log

PANELS = ["01-institutions", "02-funding_bodies", "03-research_investment", "04-recruits",
          "05-action_research_collective", "06-pilot_projects", "07-arc_projects"]
PAGE = {"page.svg", "page.png", "page.pdf", "alt-text.json", "embed.html", "index.html"}


def panel_files(*stems: str) -> set[str]:
    return {f"panels/{s}{ext}" for s in stems for ext in (".svg", ".png", "@2x.png", ".pdf")}


def record(folder: Path) -> dict:
    return json.loads((folder / "provenance.json").read_text(encoding="utf-8"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def hashes(folder: Path) -> dict[str, str]:
    return {o["path"]: o["sha256"] for o in record(folder)["outputs"]}


@pytest.fixture
def built(good_copy: Path):
    paths = Paths.for_project(PROJECT, good_copy)
    return paths, (good_copy / "outputs" / PROJECT / "latest").resolve()


def test_a_rerun_with_nothing_changed_builds_nothing_and_logs_the_current_run(built):
    paths, first = built
    entries = len(read_log(paths.log_file))
    assert run(paths) == first
    assert sorted(p.name for p in (paths.project_out / "runs").iterdir()) == [first.name]
    last = json.loads(read_log(paths.log_file)[-1])
    assert len(read_log(paths.log_file)) == entries + 1
    assert (last["status"], last["current_run"]) == ("up-to-date", first.name)


def test_force_redoes_everything(built):
    paths, first = built
    folder = run(paths, force=True)
    redone = record(folder)["redone"]
    assert folder != first
    assert set(redone["datasets"]) == set(record(first)["redone"]["datasets"])
    assert set(redone["files"]) == panel_files(*PANELS) | PAGE


def test_one_record_edited_redoes_its_dataset_and_figures_and_no_unchanged_panel(built):
    paths, first = built
    edit(paths.raw_dir / "projects.csv", "Romiley People", "Romiley People group")
    folder = run(paths)
    redone = record(folder)["redone"]
    assert redone["datasets"] == ["projects"]
    assert redone["figures"] == ["pilot_projects", "arc_projects"]
    assert redone["files"] == []  # their printed values did not change, so neither did a pixel
    before, after = hashes(first), hashes(folder)
    assert all(after[p] == before[p] for p in panel_files(*PANELS) | PAGE)
    assert after["inputs/projects.csv"] != before["inputs/projects.csv"]


def test_a_record_that_changes_a_printed_value_redraws_that_panel_and_the_page(built):
    paths, first = built
    edit(paths.raw_dir / "funding_awards.csv", ",1000000,", ",1400000,")
    folder = run(paths)
    redone = record(folder)["redone"]
    assert (redone["datasets"], redone["figures"]) == (["funding_awards"], ["research_investment"])
    assert set(redone["files"]) == panel_files("03-research_investment") | PAGE
    before, after = hashes(first), hashes(folder)
    for stem in set(PANELS) - {"03-research_investment"}:
        for path in panel_files(stem):
            assert after[path] == before[path]


def test_a_label_edit_redraws_that_panel_and_the_page(built):
    paths, _ = built
    edit(paths.spec_file, "label: ARC projects", "label: ARC test-and-learn projects")
    folder = run(paths)
    redone = record(folder)["redone"]
    assert (redone["datasets"], redone["figures"]) == ([], ["arc_projects"])
    assert set(redone["files"]) == panel_files("07-arc_projects") | PAGE


def test_a_theme_edit_redraws_every_panel(built):
    paths, _ = built
    edit(paths.spec_file, 'text: "#2b2118"', 'text: "#1b1108"')
    folder = run(paths)
    redone = record(folder)["redone"]
    assert (redone["datasets"], redone["figures"]) == ([], [])
    assert set(redone["files"]) == panel_files(*PANELS) | {"page.svg", "page.png", "page.pdf", "embed.html"}


def test_a_column_type_change_revalidates_and_serves_the_new_type(built):
    """Regression: the typed-table cache was keyed by the raw file alone, so a type change served
    the old table. Now its key holds the dataset's declaration too."""
    paths, first = built
    edit(paths.spec_file, "recruitment_round: {type: integer,", "recruitment_round: {type: number,")
    folder = run(paths)
    rec = record(folder)
    assert rec["redone"]["datasets"] == ["applicants"]
    item = next(p for p in rec["processed"] if p["dataset"] == "applicants")
    old = next(p for p in record(first)["processed"] if p["dataset"] == "applicants")
    assert item["path"] != old["path"]
    assert str(pd.read_parquet(paths.root / item["path"])["recruitment_round"].dtype) == "Float64"
    assert str(pd.read_parquet(paths.root / old["path"])["recruitment_round"].dtype) == "Int64"


def test_explain_and_diff_read_the_runs_own_copies(built):
    from infopipe.review import diff, explain

    paths, first = built
    edit(paths.raw_dir / "funding_awards.csv", ",1000000,", ",1400000,")
    second = run(paths)
    for item in record(second)["processed"]:  # a run folder must not need the shared cache
        (paths.root / item["path"]).unlink()
    info = explain(paths, "research_investment", first.name)
    assert (info["value"], info["recount"]) == (1000000, 1000000)
    change = diff(paths, first.name, second.name)["figures_changed"]
    assert change == [{"figure": "research_investment", "before": "£1m", "after": "£1.4m",
                       "value_before": 1000000, "value_after": 1400000,
                       "records_added": [], "records_removed": [], "records_changed": ["AW-TOTAL"],
                       "fields_changed": {"AW-TOTAL": {"amount_gbp": ["1000000.0", "1400000.0"]}}}]
