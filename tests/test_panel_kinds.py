"""Panel kinds as registry entries (concepts/panels.py), `kind:` in the spec, and the compiled spec.

Every kind's sample draws as a panel with its alt text; a figure's kind is written or inferred as
before; a kind drawn by a batch drawer (as plotly charts will be) draws all its panels in one call
and sits in the same frame; compiling the spec resolves filter values, links and periods into new
frozen objects and leaves the validated model as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from conftest import PROJECT, ROOT
from infopipe.concepts import panels as kinds
from infopipe.errors import InfopipeError
from infopipe.present import layout
from infopipe.present.panels import Layout, Page, Panel, Theme
from infopipe.present.render import render_page_svg, render_panel_svg
from infopipe.spec.compile import compile_spec
from infopipe.spec.model import load_spec

SVG = "{http://www.w3.org/2000/svg}"


def spec_after(root: Path, project: str, old: str, new: str):
    path = root / "projects" / project / "spec.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return load_spec(path)


@pytest.mark.parametrize("name", [k for k, v in kinds.KINDS.items() if v.drawn_by == "template"])
def test_every_kind_has_a_drawing_and_its_sample_draws(name):
    kind = kinds.KINDS[name]
    assert name in layout.BUILDERS
    sample = kind.sample()
    assert sample.kind == name and sample.alt
    root = etree.fromstring(render_panel_svg(sample, Theme(), Layout()).encode("utf-8"))
    assert root.find(f"{SVG}desc").text == sample.alt
    assert f"panel-{name}" in root.find(f"{SVG}g").get("class").split()


def test_every_batch_kind_has_a_drawer_and_its_samples_draw_in_one_page():
    """Kinds drawn in a batch (the plotly charts: one browser per call) draw their samples together."""
    names = [k for k, v in kinds.KINDS.items() if v.drawn_by != "template"]
    if not names:
        pytest.skip("no kind is drawn in a batch")
    assert all(name in layout.BATCH_DRAWERS for name in names)
    samples = tuple(kinds.KINDS[name].sample() for name in names)
    assert all(s.kind == n and s.alt for s, n in zip(samples, names))
    root = etree.fromstring(render_page_svg(Page("t", "", "", samples, Theme(), Layout(columns=2))).encode("utf-8"))
    for sample in samples:
        group = root.find(f".//{SVG}g[@id='panel-{sample.id}']")
        assert group.find(f"{SVG}desc").text == sample.alt
        assert f"panel-{sample.kind}" in group.get("class").split()
        assert group.find(f".//{SVG}g[@id='panel-{sample.id}--body']") is not None


def test_kind_is_inferred_as_before_and_can_be_written(project_root):
    spec = load_spec(project_root / "projects" / PROJECT / "spec.yaml")
    assert spec.figure("recruits").kind == "subcount"  # a note naming another figure
    spec = spec_after(project_root, PROJECT, "  - id: recruits\n", "  - id: recruits\n    kind: number\n")
    assert spec.figure("recruits").kind == "number"  # written: the note is drawn as plain text


def test_an_unknown_kind_is_named_with_its_line(project_root):
    with pytest.raises(InfopipeError) as caught:
        spec_after(project_root, PROJECT, "  - id: recruits\n", "  - id: recruits\n    kind: donut\n")
    [problem] = caught.value.problems
    assert problem.check == "unknown-kind" and "'donut' is not known" in problem.message
    text = (project_root / "projects" / PROJECT / "spec.yaml").read_text().splitlines()
    assert text[problem.line - 1].strip() == "kind: donut"


def test_a_written_kind_asks_for_its_own_keys(project_root):
    with pytest.raises(InfopipeError) as caught:
        spec_after(project_root, PROJECT, "  - id: recruits\n", "  - id: recruits\n    kind: sentence\n")
    assert [(p.check, p.message) for p in caught.value.problems] == [
        ("required", "figure 'recruits' needs a 'sentence'")]


def test_a_kind_drawn_in_one_batch_is_wrapped_in_the_panel_frame(monkeypatch):
    """What a plotly chart kind needs: every panel of the kind drawn by one call, then framed."""
    calls = []

    def draw_bars(panels, theme, lay):
        calls.append([p.id for p in panels])
        return {p.id: f'<rect class="bar" width="{10 * (i + 1)}" height="5"/>' for i, p in enumerate(panels)}

    bar = kinds.PanelKind("bar", "bars", ("label",), lambda d: False, lambda fig, figures: {},
                          sample=lambda: Panel(id="a", kind="bar", headline="1"), drawn_by="plotly")
    monkeypatch.setitem(kinds.KINDS, "bar", bar)
    monkeypatch.setitem(layout.BATCH_DRAWERS, "bar", draw_bars)
    page = Page("t", "", "", (Panel(id="a", kind="bar", headline="1", alt="a"),
                              Panel(id="n", kind="number", headline="2", label="n", alt="n"),
                              Panel(id="b", kind="bar", headline="3", alt="b")), Theme(), Layout())
    root = etree.fromstring(render_page_svg(page).encode("utf-8"))
    assert calls == [["a", "b"]]
    widths = [r.get("width") for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert widths == ["10", "20"]
    body = root.find(f".//{SVG}g[@id='panel-b--body']")
    assert body is not None and body.getparent().get("id") == "panel-b"


def test_compiling_resolves_values_links_and_periods_without_changing_the_model(tmp_path):
    root = tmp_path / "root"
    for folder in ("projects", "data/raw"):
        (root / folder).parent.mkdir(parents=True, exist_ok=True)
    import shutil

    shutil.copytree(ROOT / "projects" / "coderefinery", root / "projects" / "coderefinery")
    spec = load_spec(root / "projects" / "coderefinery" / "spec.yaml")
    before = spec.model_dump(mode="json")
    compiled = compile_spec(spec)
    workshops = compiled.figure("online_workshops").rule
    assert workshops.period == ("start_date", dt.date(2022, 3, 1), dt.date(2025, 2, 28))
    assert workshops.reads == ("events",) and workshops.primary_key == spec.datasets["events"].primary_key
    part = compiled.figure("events_python")
    assert part.parent == "training_events" and part.kind == "part"
    assert [f.to_dict() for f in part.rule.where] == [{"column": "event_type", "equals": "python_for_scicomp"}]
    assert "event_type = python_for_scicomp" in part.rule.describe()
    with pytest.raises(dataclasses.FrozenInstanceError):
        workshops.period = None
    assert spec.model_dump(mode="json") == before and compile_spec(spec) is compiled


def test_a_via_rule_knows_its_target_and_typed_values(project_root):
    spec = spec_after(project_root, PROJECT, "    rule: {type: sum, dataset: funding_awards, column: amount_gbp}",
                      "    rule: {type: sum, dataset: funding_awards, column: amount_gbp, "
                      "via: {column: funder_id, where: [{column: country, in: [United Kingdom, 1999]}]}}")
    rule = compile_spec(spec).figure("research_investment").rule
    assert (rule.via.target, rule.via.target_column) == ("funders", "funder_id")
    assert rule.reads == ("funding_awards", "funders")
    assert rule.via.where[0].value == ("United Kingdom", "1999")  # in the column's type: text
    written = spec.figure("research_investment").rule.via.where[0].value
    assert written == ["United Kingdom", 1999]  # the model keeps what was written
    assert "funder_id names a row of funders where country is one of United Kingdom, 1999" in rule.describe()
