"""The SVG files read without a browser: ids, classes, title/desc, viewBox, fonts, page groups, escaping,
and the drawing of each panel kind (bound claims as printed, emphasised figures, proportional bars)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from lxml import etree

from infopipe.errors import InfopipeError
from infopipe.present.layout import layout_panel, shared_headline_size
from panel_samples import every_kind_page, jam_page, long_text_page
from infopipe.present.panels import Layout, Page, Panel, Part, Segment, Theme
from infopipe.present.render import render_page_svg, render_panel_svg

SVG = "{http://www.w3.org/2000/svg}"
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")
NASTY = "<script>alert('x')</script> & \"partners\" 🎉"
PAGES = [every_kind_page(), long_text_page(), jam_page()]
ALL = [(page, panel) for page in PAGES for panel in page.panels]


def parse(text: str) -> etree._Element:
    return etree.fromstring(text.encode("utf-8"))


def by_class(root, cls: str) -> list:
    return [e for e in root.iter() if cls in (e.get("class") or "").split()]


def texts_of(elements) -> list[str]:
    return ["".join(e.itertext()) for e in elements]


@pytest.mark.parametrize("page,panel", ALL, ids=[p.id for _, p in ALL])
def test_panel_svg_carries_its_meaning(page, panel):
    root = parse(render_panel_svg(panel, page.theme, page.layout))
    w, h = page.layout.panel_width, page.layout.panel_height
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == (str(w), str(h), f"0 0 {w} {h}")
    assert root.get("role") == "img"
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids)) and all(NCNAME.match(i) for i in ids)
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    assert desc.text == panel.alt and title.text
    group = root.find(f"{SVG}g")
    assert group.get("id") == f"panel-{panel.id}"
    assert group.get("class").split() == ["panel", f"panel-{panel.kind}"]
    assert len(by_class(root, "frame")) == 1
    assert len(by_class(root, "icon")) == (1 if panel.icon else 0)
    for text in root.iter(f"{SVG}text"):
        assert text.get("font-family") == page.theme.font_family
        assert text.get("class") and text.get("id", "").startswith(f"panel-{panel.id}--")


def test_number_panel_has_value_label_and_note_in_that_order():
    page = every_kind_page()
    root = parse(render_panel_svg(page.panels[1], page.theme, page.layout))  # the sub-count
    assert texts_of(by_class(root, "value")) == ["15"]
    assert texts_of(by_class(root, "label")) == ["recruits & their networks"]
    assert texts_of(by_class(root, "note")) == ["selected from 50 applicants"]
    baselines = [float(by_class(root, c)[0][0].get("y")) for c in ("value", "label", "note")]
    assert baselines == sorted(baselines)


def test_bound_claim_reads_as_printed_and_shrinks_to_the_width():
    page = every_kind_page()
    panel = page.panels[0]
    assert panel.headline == "more than 40"
    root = parse(render_panel_svg(panel, page.theme, page.layout))
    value = by_class(root, "value")[0]
    assert "".join(value.itertext()) == "more than 40"
    assert float(value.get("font-size")) < 64  # shrunk from the headline's full size to fit the width


def test_subcount_emphasises_the_sub_figure_in_bold():
    page = every_kind_page()
    root = parse(render_panel_svg(page.panels[1], page.theme, page.layout))
    sub = by_class(root, "sub-value")
    assert [(s.text, s.get("font-weight")) for s in sub] == [("50", "bold")]


def test_sentence_marks_every_figure_and_the_first_is_the_value():
    page = every_kind_page()
    panel = page.panels[2]
    root = parse(render_panel_svg(panel, page.theme, page.layout))
    sentence = by_class(root, "sentence")
    squash = lambda t: re.sub(r"\s", "", t)  # noqa: E731 (lines are separate tspans)
    assert len(sentence) == 1 and squash("".join(sentence[0].itertext())) == squash(panel.sentence_text())
    assert [e.text for e in by_class(root, "value")] == ["dozens"]
    assert [e.text for e in by_class(root, "figure")] == ["10"]
    for e in by_class(root, "value") + by_class(root, "figure"):
        assert e.get("font-weight") == "bold" and e.get("fill") == panel.color


def test_breakdown_bars_are_proportional_and_labelled():
    page = every_kind_page()
    panel = page.panels[3]
    root = parse(render_panel_svg(panel, page.theme, page.layout))
    parts = by_class(root, "part")
    assert len(parts) == len(panel.parts)
    assert texts_of(by_class(root, "part-label")) == [p.label for p in panel.parts]
    assert texts_of(by_class(root, "part-value")) == [p.printed for p in panel.parts]
    widths = [float(b.get("width")) for b in by_class(root, "bar")]
    assert widths[0] == pytest.approx(252)  # the largest part fills the inner width
    for part, width in zip(panel.parts, widths):
        assert width / widths[0] == pytest.approx(part.value / panel.parts[0].value, abs=0.01)
    assert texts_of(by_class(root, "total")) == ["84 outputs in total"]
    without = parse(render_panel_svg(replace(panel, total=""), page.theme, page.layout))
    assert by_class(without, "total") == []


def test_page_groups_each_panel_under_its_id_with_the_same_markup():
    page = every_kind_page()
    root = parse(render_page_svg(page))
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids)) and all(NCNAME.match(i) for i in ids)
    assert texts_of(by_class(root, "title")) == [page.title]
    assert texts_of(by_class(root, "subtitle")) == [page.subtitle]
    assert texts_of(by_class(root, "credit")) == [page.credit]
    groups = [g for g in root.iter(f"{SVG}g") if "panel" in (g.get("class") or "").split()]
    assert [g.get("id") for g in groups] == [f"panel-{p.id}" for p in page.panels]
    for i, (group, panel) in enumerate(zip(groups, page.panels)):
        assert group.get("transform") == "translate({} {})".format(*page.panel_origin(i))
        icons = any(p.icon for p in page.panels)
        shared = shared_headline_size(page, icons)  # number panels share the page's headline size
        alone = parse(render_panel_svg(panel, page.theme, page.layout, icons, shared)).find(f"{SVG}g")
        inner = [etree.tostring(e) for e in group if e.tag not in (f"{SVG}title", f"{SVG}desc")]
        assert inner == [etree.tostring(e) for e in alone]
        assert group.find(f"{SVG}desc").text == panel.alt


def test_text_from_data_is_escaped_in_svg():
    page = every_kind_page()
    panel = replace(page.panels[1], label=NASTY, note="a < b & c", note_figure="", alt=NASTY)
    svg = render_panel_svg(panel, page.theme, page.layout)
    root = parse(svg)
    assert "<script" not in svg and not list(root.iter("script", f"{SVG}script"))
    assert root.find(f"{SVG}desc").text == NASTY
    assert "".join(texts_of(by_class(root, "label"))).replace(" ", "") == NASTY.replace(" ", "")
    assert texts_of(by_class(root, "note")) == ["a < b & c"]


def test_svg_text_is_the_same_bytes_for_the_same_input():
    page = long_text_page()
    assert render_page_svg(page) == render_page_svg(page)
    assert render_panel_svg(page.panels[0], page.theme, page.layout) == \
        render_panel_svg(page.panels[0], page.theme, page.layout)


def _inside(block, panel_w: int, panel_h: int, fonts) -> bool:
    """Our own measure of a drawn text block against the frame (the browser test checks it for real)."""
    for line in block.lines:
        width = sum(fonts.face(p.bold or block.bold).width(p.text, block.size) for p in line.pieces)
        left = {"start": line.x, "middle": line.x - width / 2, "end": line.x - width}[block.anchor]
        top = line.y - fonts.regular.ascent * block.size
        bottom = line.y + fonts.regular.descent * block.size
        if left < 0 or left + width > panel_w or top < 0 or bottom > panel_h:
            return False
    return True


@pytest.mark.parametrize("page,panel", ALL, ids=[p.id for _, p in ALL])
def test_every_text_block_fits_inside_the_frame_by_our_measure(page, panel):
    from infopipe.present.layout import Group, TextBlock
    from infopipe.present.textfit import fonts_for

    fonts = fonts_for(page.theme.first_family())
    drawn = layout_panel(panel, page.theme, page.layout)
    blocks = [i for i in drawn.items if isinstance(i, TextBlock)]
    blocks += [c for g in drawn.items if isinstance(g, Group) for c in g.items if isinstance(c, TextBlock)]
    assert blocks
    assert all(_inside(b, page.layout.panel_width, page.layout.panel_height, fonts) for b in blocks)


def test_long_text_is_shrunk_then_cut_with_an_ellipsis_not_dropped():
    page = long_text_page()
    root = parse(render_panel_svg(page.panels[0], page.theme, page.layout))
    label = by_class(root, "label")[0]
    assert float(label.get("font-size")) < 22  # shrunk
    note = "".join(by_class(root, "note")[0].itertext())
    assert re.sub(r"\s", "", note) == re.sub(r"\s", "", page.panels[0].note)  # all of it, wrapped
    endless = replace(page.panels[0], label=" ".join([page.panels[0].label] * 4))
    cut = parse(render_panel_svg(endless, page.theme, page.layout))
    label = by_class(cut, "label")[0]
    assert float(label.get("font-size")) == pytest.approx(22 * page.theme.min_text_scale)
    assert "".join(label.itertext()).endswith("…")
    assert by_class(cut, "icon") == []  # the icon goes before any text is cut


def test_headlines_sit_level_across_a_row_of_number_panels():
    page = jam_page()
    root = parse(render_page_svg(page))
    groups = [g for g in root.iter(f"{SVG}g") if "panel" in (g.get("class") or "").split()]
    first_row = groups[:page.layout.columns]
    ys = {float(by_class(g, "value")[0][0].get("y")) for g in first_row}
    assert len(ys) == 1
    kinds = every_kind_page()  # "more than 40" is drawn smaller than "15", yet both sit level
    groups = by_class(parse(render_page_svg(kinds)), "panel")[:2]
    assert len({float(by_class(g, "value")[0][0].get("y")) for g in groups}) == 1
    assert len({by_class(g, "icon")[0].get("transform") for g in groups}) == 1


def test_a_panel_that_cannot_fit_is_refused_not_overflowed():
    page = every_kind_page()
    crowded = replace(page.panels[3], parts=tuple(Part(f"kind {i}", str(i), i) for i in range(1, 40)))
    with pytest.raises(InfopipeError) as err:
        render_panel_svg(crowded, page.theme, page.layout)
    assert "[text-fit]" in str(err.value) and "outputs" in str(err.value)


@pytest.mark.parametrize("bad", ["../x", "a b", "a/b", "", "é"])
def test_panel_ids_that_could_escape_or_break_ids_are_refused(bad):
    page = every_kind_page()
    with pytest.raises(InfopipeError, match=r"\[panel-id\]"):
        render_panel_svg(replace(page.panels[0], id=bad), page.theme, page.layout)


def test_duplicate_panel_ids_are_refused_on_the_page():
    page = every_kind_page()
    with pytest.raises(InfopipeError, match="unique: volunteers"):
        render_page_svg(replace(page, panels=(page.panels[0], page.panels[0])))


def test_icon_with_anything_but_path_data_is_refused():
    page = every_kind_page()
    with pytest.raises(InfopipeError, match=r"\[icon\]"):
        render_panel_svg(replace(page.panels[0], icon='M0 0"/><script/>'), page.theme, page.layout)


def test_panel_kinds_from_the_interface_all_draw():
    theme, layout = Theme(), Layout()
    kinds = [Panel(id="a", kind="number", headline="4", label="institutions"),
             Panel(id="b", kind="subcount", headline="15", label="recruits", note="of 50", note_figure="50"),
             Panel(id="c", kind="sentence", headline="4", segments=(Segment("4", True), Segment(" things", False))),
             Panel(id="d", kind="breakdown", headline="3", parts=(Part("x", "1", 1), Part("y", "2", 2)))]
    page = Page("t", "", "", tuple(kinds), theme, layout)
    root = parse(render_page_svg(page))
    assert [g.get("class") for g in by_class(root, "panel")] == [
        "panel panel-number", "panel panel-subcount", "panel panel-sentence", "panel panel-breakdown"]


@pytest.mark.parametrize("headline", ["approximately 15", "more than 1,000,000", "Supercalifragilistic 4"])
def test_a_headline_breaks_only_between_words(headline):
    page = long_text_page()
    root = parse(render_panel_svg(replace(page.panels[1], headline=headline), page.theme, page.layout))
    lines = [t.text for t in by_class(root, "value")[0]]
    assert " ".join(lines) == headline
