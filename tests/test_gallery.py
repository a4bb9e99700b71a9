"""The gallery (index.html): every panel and the page with alt text and download links to files that
exist; static, no scripts, escaped; and it opens in headless Chromium with no console messages."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import lxml.html
import pytest

from panel_samples import every_kind_page
from infopipe.present.render import plan_outputs, write_outputs
from test_report import open_in_chromium

NASTY = "<script>alert('x')</script> & \"q\" 🎉"


@pytest.fixture(scope="module")
def gallery(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("gallery")
    page = every_kind_page()
    page = replace(page, panels=(replace(page.panels[0], alt=NASTY), *page.panels[1:]))
    write_outputs(plan_outputs(page, folder), folder)
    return folder


def test_every_panel_and_the_page_are_shown_with_alt_text_and_downloads(gallery):
    page = every_kind_page()
    doc = lxml.html.fromstring((gallery / "index.html").read_text(encoding="utf-8"))
    images = {img.get("src"): img for img in doc.iter("img")}
    assert images["page.png"].get("alt").startswith(page.title)
    for i, panel in enumerate(page.panels, start=1):
        stem = f"panels/{i:02d}-{panel.id}"
        img = images[f"{stem}.png"]
        assert img.get("alt") == (NASTY if i == 1 else panel.alt)
        assert img.get("srcset") == f"{stem}@2x.png 2x"
        figure = doc.get_element_by_id(panel.id)
        links = {a.text_content(): a.get("href") for a in figure.iter("a")}
        assert links == {"SVG": f"{stem}.svg", "PNG": f"{stem}.png", "PNG 2x": f"{stem}@2x.png", "PDF": f"{stem}.pdf"}
        assert (NASTY if i == 1 else panel.alt) in figure.text_content()
    hrefs = [a.get("href") for a in doc.iter("a")]
    assert {"page.svg", "page.png", "page.pdf", "alt-text.json"} <= set(hrefs)
    published_later = {"figures.csv", "figures.json", "report.html"}  # written by the publish step
    assert published_later <= set(hrefs)
    assert all((gallery / h).is_file() for h in set(hrefs) - published_later | set(images))
    pages = {"embed.html", "report.html"}  # opened, not downloaded
    assert all("download" in a.attrib for a in doc.iter("a") if a.get("href") not in pages)


def test_gallery_is_static_and_escapes_text(gallery):
    text = (gallery / "index.html").read_text(encoding="utf-8")
    doc = lxml.html.fromstring(text)
    assert list(doc.iter("script")) == [] and "<script>alert" not in text
    csp = [m.get("content") for m in doc.iter("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0] and "script-src" not in csp[0]
    assert not any(":" in (a.get("href") or "") for a in doc.iter("a"))  # only the run's own files
    made_by = {row[0].text_content(): row[1].text_content() for row in doc.iter("tr") if row[0].tag == "td"}
    assert made_by["page.pdf"] == "cairosvg" and made_by["panels/01-volunteers@2x.png"] == "resvg"
    assert made_by["page.svg"] == "template"


@pytest.mark.browser
def test_gallery_opens_in_chromium_without_console_messages(gallery, tmp_path):
    messages = open_in_chromium(gallery / "index.html", tmp_path / "gallery.png", tmp_path / "profile")
    assert messages == []
    assert (tmp_path / "gallery.png").stat().st_size > 20_000
