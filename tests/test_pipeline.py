"""End to end: the Prefect flow on the shipped data, determinism, and figures that depend on a record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import PROJECT, ROOT, computed_figures, prefect_env
from infopipe.cli import main
from infopipe.spec.model import load_spec


def reproducible(folder: Path) -> dict[str, str]:
    record = json.loads((folder / "provenance.json").read_text())
    return {o["path"]: o["sha256"] for o in record["outputs"] if o["reproducible"]}


def test_prefect_flow_builds_every_figure_as_published(project_root, good_root, prefect_api):
    """The command `make run` uses, on a copy of the shipped data, in its own process."""
    done = subprocess.run([sys.executable, str(ROOT / "flows" / "build_infographic.py"), PROJECT,
                           "--root", str(project_root)],
                          capture_output=True, text=True, timeout=600, env=prefect_env(prefect_api))
    assert done.returncode == 0, done.stderr[-3000:]
    folder = Path(done.stdout.split("Outputs: ")[1].split()[0])
    assert (project_root / "outputs" / PROJECT / "latest").resolve() == folder
    spec = load_spec(project_root / "projects" / PROJECT / "spec.yaml")
    figures = {f["id"]: f for f in json.loads((folder / "figures.json").read_text())["figures"]}
    assert set(figures) == {f.id for f in spec.figures}
    for fig in spec.figures:
        assert figures[fig.id]["printed"] == fig.published, fig.id
        assert figures[fig.id]["matches"] is True
    panels = [f for f in spec.figures if f.panel]
    names = sorted(p.name for p in (folder / "panels").iterdir())
    assert len(names) == 4 * len(panels)
    for ext in ("svg", "png", "pdf"):
        assert (folder / f"page.{ext}").stat().st_size > 1000
    record = json.loads((folder / "provenance.json").read_text())
    assert [s["step"] for s in record["steps"]] == ["spec", "validate", "compute", "render", "publish"]
    assert {i["path"].split("/")[-1] for i in record["inputs"]} == {d.file for d in spec.datasets.values()}
    # determinism: the flow's run and the plain-function run of the same inputs give the same bytes
    assert reproducible(folder) == reproducible((good_root / "outputs" / PROJECT / "latest").resolve())


def test_svg_text_stays_editable_text(good_root):
    svg = (good_root / "outputs" / PROJECT / "latest" / "panels" / "03-research_investment.svg").read_text()
    assert ">£1m<" in svg and "research investment" in svg
    assert 'id="panel-research_investment--value"' in svg


def test_png_sizes_follow_the_spec(good_root):
    spec = load_spec(good_root / "projects" / PROJECT / "spec.yaml")
    panels = good_root / "outputs" / PROJECT / "latest" / "panels"
    for name, scale in (("01-institutions.png", 1), ("01-institutions@2x.png", 2)):
        head = (panels / name).read_bytes()[16:24]
        size = (int.from_bytes(head[:4], "big"), int.from_bytes(head[4:], "big"))
        assert size == (spec.page.panel_width * scale, spec.page.panel_height * scale)


def figures_of(root: Path) -> dict[str, int | float]:
    return {k: r.value for k, r in computed_figures(root).items()}


def test_changing_one_record_changes_exactly_the_figures_that_count_it(project_root):
    before = figures_of(project_root)
    raw = project_root / "data" / "raw" / PROJECT / "applicants.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace("APP-020,no,", "APP-020,yes,"), encoding="utf-8")
    after = figures_of(project_root)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"recruits"}
    assert after["recruits"] == before["recruits"] + 1
    assert after["applicants"] == before["applicants"]  # the same record, counted by both rules


def test_every_dataset_edit_moves_only_its_own_figures(project_root):
    spec = load_spec(project_root / "projects" / PROJECT / "spec.yaml")
    base = figures_of(project_root)
    raw = project_root / "data" / "raw" / PROJECT / "funding_awards.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace(",1000000,", ",1250000,"), encoding="utf-8")
    after = figures_of(project_root)
    dependent = {f.id for f in spec.figures if f.rule.dataset == "funding_awards"}
    assert {k for k in base if base[k] != after[k]} == dependent == {"research_investment"}
    assert after["research_investment"] - base["research_investment"] == 250000


def test_validate_command_writes_nothing(project_root, capsys):
    assert main(["--root", str(project_root), "validate"]) == 0
    assert "Valid:" in capsys.readouterr().out
    assert not (project_root / "outputs").exists() and not (project_root / "data" / "processed").exists()


def test_flow_keeps_prefect_home_inside_the_project():
    """With no PREFECT_HOME set, the flow script points Prefect at .prefect/ in the project."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_HOME"}
    probe = ("import sys; sys.path.insert(0, 'flows'); import build_infographic; "
             "from prefect.settings import PREFECT_HOME; print(PREFECT_HOME.value())")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    assert Path(done.stdout.strip().splitlines()[-1]).resolve() == ROOT / ".prefect"
