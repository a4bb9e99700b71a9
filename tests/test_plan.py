"""One plan: the units it says are stale are exactly the ones the run redoes; a unit whose files are
gone is never reused; each key covers the code that can change its unit, and no more."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import PROJECT
from infopipe.run import steps
from infopipe.run.pipeline import Paths, run, status
from infopipe.run.plan import make_plan
from infopipe.spec.model import load_spec


@pytest.fixture
def built(good_copy: Path):
    paths = Paths.for_project(PROJECT, good_copy)
    return paths, (good_copy / "outputs" / PROJECT / "latest").resolve()


def plan_of(paths: Paths):
    return make_plan(paths, load_spec(paths.spec_file))


def redone(folder: Path) -> dict:
    return json.loads((folder / "provenance.json").read_text(encoding="utf-8"))["redone"]


def test_the_run_redoes_what_the_plan_says_is_stale(built):
    paths, _ = built
    awards = paths.raw_dir / "funding_awards.csv"
    awards.write_text(awards.read_text(encoding="utf-8").replace(",1000000,", ",1100000,", 1), encoding="utf-8")
    plan = plan_of(paths)
    assert plan.current is None
    stale_tables = [u.name for u in plan.tables if not u.reuse]
    stale_figures = [i for u in plan.figures if not u.reuse for i in u.ids]
    assert stale_tables == ["funding_awards"] and stale_figures == ["research_investment"]
    assert status(paths) == plan.status()  # `status` prints the same plan
    done = redone(run(paths))
    assert done["datasets"] == stale_tables and done["figures"] == stale_figures


def test_a_unit_whose_files_are_gone_is_not_reused(built):
    paths, latest = built
    (latest / "lineage" / "recruits.parquet").unlink()
    for typed in paths.project_processed.glob("applicants-*.parquet"):
        typed.unlink()
    plan = plan_of(paths)
    assert plan.current is None  # the latest run is no longer whole
    assert [u.name for u in plan.tables if not u.reuse] == ["applicants"]
    assert plan.figure("recruits").why == "its lineage file is missing" and not plan.figure("recruits").reuse
    assert plan.cache_key(steps.VALIDATE) is None  # Prefect is offered no cache key while a table is gone
    done = redone(run(paths))
    assert done["datasets"] == ["applicants"] and done["figures"] == ["recruits"]
    assert plan_of(paths).cache_key(steps.VALIDATE) is not None  # all on disk again


def test_each_key_covers_the_code_of_its_step_and_no_more(tmp_path, monkeypatch):
    """An edit to the drawing leaves table and figure keys alone; an edit to a rule changes both;
    any edit changes the run's key (the whole package)."""
    package = tmp_path / "infopipe"
    shutil.copytree(steps.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(steps, "PACKAGE", package)

    def keys():
        steps.code_version.cache_clear()
        return {s.name: s.key() for s in (steps.VALIDATE, steps.COMPUTE, steps.RENDER)}, steps.code_version()

    before, whole = keys()
    with (package / "present" / "layout.py").open("a") as f:
        f.write("\n# an edit to the drawing\n")
    after, whole_after = keys()
    assert after["validate"] == before["validate"] and after["compute"] == before["compute"]
    assert after["render"] != before["render"] and whole_after != whole
    with (package / "concepts" / "rules.py").open("a") as f:
        f.write("\n# an edit to a rule\n")
    last, _ = keys()
    assert last["validate"] != after["validate"] and last["compute"] != after["compute"]
    steps.code_version.cache_clear()


def test_the_code_a_key_covers_is_every_module_its_step_imports():
    """The closure read by pattern equals the one `ast` finds (tests/test_structure.py's walk)."""
    from test_structure import imported, modules

    known = modules()
    for declared in steps.STEPS.values():
        seen, todo = set(), list(declared.code)
        while todo:
            name = todo.pop()
            if name in known and name not in seen:
                seen.add(name)
                todo += [m for m in imported(known[name]) if m in known and m != "infopipe"]
        found = {p for p in steps._closure(declared.code) if p.suffix == ".py"}
        assert found == {known[m] for m in seen}, declared.name
