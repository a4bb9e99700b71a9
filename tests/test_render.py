"""Drawing and exporting: icons placed in the box, SVG ids made stable, text from spec escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from conftest import PROJECT
from infopipe.figures import FigureResult
from infopipe.render import ExportJob, build_page, build_panel, export, normalise_svg, scale_icon
from infopipe.spec import load_spec

NASTY = "<script>alert('x')</script> & \"partners\" 🎉"


def a_result(**changes) -> FigureResult:
    base = FigureResult(id="institutions", label="institutions", value=4, printed="4", published="4",
                        matches=True, accepted_difference=None, note=None, panel=True,
                        dataset="institutions", rule={}, rule_in_words="", explanation="", record_ids=())
    return replace(base, **changes)


def test_scale_icon_maps_the_100_box_into_place_with_y_up():
    assert scale_icon("M0 0 L100 100 Z", 10, 20, 50) == "M 10.00 70.00 L 60.00 20.00 Z"
    assert scale_icon("M0 0 H50 V100", 0, 0, 10) == "M 0.00 10.00 H 5.00 V 0.00"


def test_normalise_svg_replaces_only_the_random_ids(tmp_path):
    svg = tmp_path / "a.svg"
    svg.write_text('<svg><defs id="defs-a1b2c3"><clipPath id="clipa1b2c3xy"/></defs>'
                   '<g clip-path="url(#clipa1b2c3xy)"><text>a1b2c3</text></g></svg>')
    normalise_svg(svg)
    assert svg.read_text() == ('<svg><defs id="defs-infopipe"><clipPath id="clipinfopipexy"/></defs>'
                               '<g clip-path="url(#clipinfopipexy)"><text>a1b2c3</text></g></svg>')


def test_page_has_one_panel_frame_per_panel_figure(project_root):
    spec = load_spec(project_root / "projects" / PROJECT / "spec.yaml")
    results = [a_result(id=f"f{i}", panel=i != 2) for i in range(5)]
    page = build_page(results, spec)
    frames = [s for s in page.layout.shapes if s.type == "rect"]
    assert len(frames) == 4
    texts = [a.text for a in page.layout.annotations]
    assert texts[0] == f"<b>{spec.title}</b>"


def test_label_markup_is_escaped_in_the_exported_svg(project_root, tmp_path):
    spec = load_spec(project_root / "projects" / PROJECT / "spec.yaml")
    fig = build_panel(a_result(label=NASTY, note="a < b & c"), spec, 0)
    path = tmp_path / "panel.svg"
    export([ExportJob(fig, path, 300, 300)])
    svg = path.read_text(encoding="utf-8")
    assert "<script" not in svg
    texts = ["".join(t.itertext()) for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert NASTY in texts and "a < b & c" in texts
