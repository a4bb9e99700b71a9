"""Text fits, as the browser measures it: one headless Chromium loads panels of every kind (ordinary and
with long labels, sentences and notes) and whole pages, and reports getBBox for every text element.

Every text box must lie inside its panel's frame, no two text boxes in a panel may overlap, the page's
title and credit must stay in their bands, and our font measurement must agree with Chromium's.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pytest

from panel_samples import every_kind_page, jam_page, long_text_page
from infopipe.present.render import render_page_svg, render_panel_svg
from infopipe.present.textfit import fonts_for

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
PAGES = {"kinds": every_kind_page(), "long": long_text_page(), "jam": jam_page()}

MEASURE = """
const out = {texts: [], pages: []};
for (const svg of document.querySelectorAll('svg')) {
  const doc = svg.getAttribute('data-doc');
  for (const g of svg.querySelectorAll('g.panel')) {
    const f = g.querySelector('.frame').getBBox();
    for (const t of g.querySelectorAll('text')) {
      const b = t.getBBox();
      out.texts.push({doc, panel: g.id, id: t.id, text: t.textContent, size: +t.getAttribute('font-size'),
        bold: t.getAttribute('font-weight') === 'bold', lines: t.querySelectorAll('tspan[x]').length,
        mixed: t.querySelectorAll('tspan[font-weight]').length > 0, length: t.getComputedTextLength(),
        frame: [f.x, f.y, f.width, f.height], box: [b.x, b.y, b.width, b.height]});
    }
  }
  if (svg.querySelector('.background')) {
    const boxes = {};
    for (const t of svg.querySelectorAll('.header text, .footer text')) {
      const b = t.getBBox(); boxes[t.getAttribute('class')] = [b.x, b.y, b.width, b.height];
    }
    const grid = [...svg.querySelectorAll('g.panel')].map(g => {
      const b = g.getBBox(), m = g.transform.baseVal.consolidate().matrix;
      return [b.x + m.e, b.y + m.f, b.width, b.height]; });
    out.pages.push({doc, width: +svg.getAttribute('width'), height: +svg.getAttribute('height'), boxes, grid});
  }
}
document.getElementById('out').textContent = JSON.stringify(out);
"""


def embed(name: str, svg: str) -> str:
    return svg.split("?>", 1)[1].replace("<svg ", f'<svg data-doc="{name}" ', 1)


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> dict:
    """Every sample panel alone, and every sample page, measured in one Chromium launch."""
    folder = tmp_path_factory.mktemp("browser")
    docs = [embed(f"{key}/{p.id}", render_panel_svg(p, page.theme, page.layout))
            for key, page in PAGES.items() for p in page.panels]
    docs += [embed(f"{key}/page", render_page_svg(page)) for key, page in PAGES.items()]
    doc = folder / "measure.html"
    doc.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{''.join(docs)}"
                   f"<pre id='out'></pre><script>{MEASURE}</script></body></html>", encoding="utf-8")
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={folder / 'profile'}", "--virtual-time-budget=5000", "--dump-dom", doc.as_uri()],
        capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="out">(.*?)</pre>', done.stdout, re.S)
    assert found and found.group(1), done.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


def inside(box, frame, slack=0.01) -> bool:
    x, y, w, h = box
    fx, fy, fw, fh = frame
    return x >= fx - slack and y >= fy - slack and x + w <= fx + fw + slack and y + h <= fy + fh + slack


def overlap(a, b) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


def test_every_kind_and_every_sample_was_measured(measured):
    kinds = {t["panel"].split("-", 1)[1] for t in measured["texts"]}
    assert {p.id for page in PAGES.values() for p in page.panels} <= kinds
    classes = {t["id"].split("--", 1)[1] for t in measured["texts"]}
    assert {"value", "label", "note", "sentence", "part-1--label", "part-1--value", "total"} <= classes
    assert len(measured["pages"]) == len(PAGES)


def test_every_text_box_lies_inside_its_panel_frame(measured):
    outside = [f"{t['doc']} {t['id']}: {t['box']} not in {t['frame']}"
               for t in measured["texts"] if not inside(t["box"], t["frame"])]
    assert outside == []


def test_no_two_text_boxes_in_a_panel_overlap(measured):
    by_panel: dict[tuple, list] = {}
    for t in measured["texts"]:
        by_panel.setdefault((t["doc"], t["panel"]), []).append(t)
    clashes = [f"{doc}: {a['id']} and {b['id']}" for (doc, _), texts in by_panel.items()
               for i, a in enumerate(texts) for b in texts[i + 1:] if overlap(a["box"], b["box"]) > 0.5]
    assert clashes == []


def test_long_text_was_wrapped_or_shrunk_not_left_on_one_line(measured):
    long = {t["id"]: t for t in measured["texts"] if t["doc"] == "long/page"}
    assert long["panel-long_sentence--sentence"]["lines"] >= 5
    assert long["panel-long_number--label"]["lines"] >= 3
    assert long["panel-long_number--label"]["size"] < 22


def test_page_title_and_credit_stay_in_their_bands(measured):
    for page in measured["pages"]:
        layout = PAGES[page["doc"].split("/")[0]].layout
        grid_top = min(b[1] for b in page["grid"])
        grid_bottom = max(b[1] + b[3] for b in page["grid"])
        for cls, box in page["boxes"].items():
            assert inside(box, [layout.margin, 0, page["width"] - 2 * layout.margin, page["height"]]), cls
        assert page["boxes"]["title"][1] >= layout.margin - 0.01
        assert page["boxes"]["subtitle"][1] + page["boxes"]["subtitle"][3] <= grid_top
        assert page["boxes"]["credit"][1] >= grid_bottom
        assert page["boxes"]["credit"][1] + page["boxes"]["credit"][3] <= page["height"] - layout.margin


def test_our_font_measure_matches_chromium(measured):
    """textfit sums the font's advances without kerning; Chromium shapes. They agree within 1%."""
    fonts = fonts_for("Liberation Sans")
    simple = [t for t in measured["texts"] if t["lines"] == 1 and not t["mixed"] and t["text"]]
    assert len(simple) > 30
    ratios = [t["length"] / fonts.face(t["bold"]).width(t["text"], t["size"]) for t in simple]
    assert 0.99 < min(ratios) and max(ratios) < 1.01
