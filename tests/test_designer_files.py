"""What a designer and a web editor open: SVG that draws the same in librsvg (Inkscape, GNOME) as in
resvg, ids that name each figure and part as the spec does and work as CSS selectors, a breakdown's
total said once, a PDF per panel, a page PDF on paper, the web embed and the data behind the graphic."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from lxml import etree
from PIL import Image

from conftest import copy_project
from infopipe.compute import compute_figures
from infopipe.present.page import page_for
from infopipe.data.ingest import read_raw_tables
from infopipe.data.validate import validate_tables
from infopipe.present.render import make_bytes, plan_outputs, png_from_svg, render_panel_svg
from infopipe.present.textfit import fonts_for
from infopipe.spec.model import load_spec

PROJECT = "coderefinery"
CSS_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    from infopipe.run.pipeline import Paths, run

    root = copy_project(tmp_path_factory.mktemp("designer") / "root", PROJECT)
    return run(Paths.for_project(PROJECT, root))


def computed_page(root: Path, edit=lambda text: text):
    spec_file = root / "projects" / PROJECT / "spec.yaml"
    spec_file.write_text(edit(spec_file.read_text(encoding="utf-8")), encoding="utf-8")
    spec = load_spec(spec_file)
    tables = validate_tables(spec, read_raw_tables(spec, root / "data" / "raw" / PROJECT))
    return page_for(spec, compute_figures(spec, tables))


def ids(svg: str) -> dict[str, etree._Element]:
    root = etree.fromstring(svg.encode("utf-8"))
    return {e.get("id"): e for e in root.iter() if e.get("id")}


def grey(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="needs rsvg-convert (Debian librsvg2-bin)")
def test_librsvg_draws_every_svg_as_resvg_does(run_folder):
    """librsvg drops the space at the edge of each <tspan> unless <text> keeps its spaces: '6online'.
    Its pixels must agree with resvg's (the PNGs we ship) at the same size with the same fonts."""
    fonts = fonts_for("Liberation Sans")
    svgs = sorted((run_folder / "panels").glob("*.svg")) + [run_folder / "page.svg"]
    assert len(svgs) >= 4  # every panel (sentences, a breakdown, any chart) and the page
    for path in svgs:
        svg = path.read_text(encoding="utf-8")
        ours = grey(png_from_svg(svg, fonts))
        theirs = grey(subprocess.run(["rsvg-convert", "-f", "png"], input=svg.encode(), capture_output=True,
                                     check=True).stdout)
        assert ours.shape == theirs.shape
        differing = (np.abs(ours - theirs) > 64).mean()
        assert differing < 0.001, f"{path.name}: {differing:.4f} of the pixels differ between librsvg and resvg"


def test_figures_in_sentences_and_parts_carry_the_spec_ids(run_folder):
    partners = ids((run_folder / "panels" / "01-partners.svg").read_text(encoding="utf-8"))
    assert "".join(partners["panel-partners--figure-person_months"].itertext()) == "42"
    assert "".join(partners["panel-partners--figure-partners"].itertext()) == "8"
    workshops = ids((run_folder / "panels" / "02-online_workshops.svg").read_text(encoding="utf-8"))
    assert "".join(workshops["panel-online_workshops--figure-online_participants"].itertext()) == "over 2000"
    events = ids((run_folder / "panels" / "03-training_events.svg").read_text(encoding="utf-8"))
    figures = json.loads((run_folder / "figures.json").read_text(encoding="utf-8"))["figures"]
    parts = [f for f in figures if f.get("parent") == "training_events"]
    for part in parts:
        group = events[f"panel-training_events--part-{part['id']}"]
        assert group.get("class") == "part"
        value = next(e for e in group.iter() if e.get("class") == "part-value")
        assert "".join(value.itertext()) == part["printed"]


def test_every_id_works_as_a_css_selector(run_folder):
    for path in [*sorted((run_folder / "panels").glob("*.svg")), run_folder / "page.svg"]:
        found = ids(path.read_text(encoding="utf-8"))
        bad = [i for i in found if not CSS_ID.match(i)]
        assert bad == [], path.name
    page = etree.fromstring((run_folder / "page.svg").read_bytes())
    assert page.get("aria-labelledby") == "page--alt-title page--alt-desc"


def test_a_breakdown_with_its_total_prints_the_total_once(tmp_path):
    root = copy_project(tmp_path / "root", PROJECT)
    page = computed_page(root, lambda t: t.replace("      column: event_type\n",
                                                   "      column: event_type\n      show_total: true\n"))
    panel = next(p for p in page.panels if p.id == "training_events")
    svg = render_panel_svg(panel, page.theme, page.layout)
    texts = ["".join(e.itertext()) for e in etree.fromstring(svg.encode()).iter("{*}text")]
    total = sum(int(p.printed) for p in panel.parts) + 5  # the drawn parts, and the 5 events not drawn
    assert sum(t.count(str(total)) for t in texts) == 1, texts
    assert f"{total} in total" in texts


def test_each_panel_has_a_pdf_and_the_page_pdf_takes_the_print_size(run_folder, tmp_path):
    for svg in (run_folder / "panels").glob("*.svg"):
        with pikepdf.open(svg.with_suffix(".pdf")) as pdf:
            box = [float(v) for v in pdf.pages[0].MediaBox]
        assert box[2:] == pytest.approx([340 * 0.75, 300 * 0.75], abs=0.5)  # 340x300 px at 96 dpi, in points
    root = copy_project(tmp_path / "root", PROJECT)
    page = computed_page(root, lambda t: t.replace("  columns: 3\n", "  columns: 3\n  print_size: A4 landscape\n"))
    out = next(o for o in plan_outputs(page, tmp_path / "run") if o.path == "page.pdf")
    with pikepdf.open(io.BytesIO(make_bytes(out))) as pdf:
        box = [float(v) for v in pdf.pages[0].MediaBox]
    assert box[2:] == pytest.approx([297 / 25.4 * 72, 210 / 25.4 * 72], abs=0.5)  # A4 landscape in points


def test_print_size_is_checked_with_its_line(tmp_path):
    from infopipe.errors import InfopipeError

    root = copy_project(tmp_path / "root", PROJECT)
    spec_file = root / "projects" / PROJECT / "spec.yaml"
    text = spec_file.read_text(encoding="utf-8").replace("  columns: 3\n", "  columns: 3\n  print_size: B7\n")
    spec_file.write_text(text, encoding="utf-8")
    with pytest.raises(InfopipeError) as caught:
        load_spec(spec_file)
    line = text.splitlines().index("  print_size: B7") + 1
    assert [(p.line, p.check) for p in caught.value.problems] == [(line, "spec-type")]
    assert "print_size 'B7' is not a paper size" in str(caught.value)


def test_the_embed_holds_the_page_inline_responsive_with_its_alt_text_and_data(run_folder):
    html = (run_folder / "embed.html").read_text(encoding="utf-8")
    doc = etree.fromstring(html.encode(), etree.HTMLParser())
    svg = doc.find(".//svg")
    assert svg is not None and svg.get("width") is None and svg.get("height") is None
    page_svg = etree.fromstring((run_folder / "page.svg").read_bytes())
    assert svg.get("viewbox") == page_svg.get("viewBox")
    assert "width:100%" in svg.get("style")
    assert svg.find("title").text == page_svg.find("{*}title").text
    assert svg.find("desc").text == page_svg.find("{*}desc").text
    assert [a.get("href") for a in doc.iter("a")] == ["figures.csv"]
    assert "<script" not in html
    gallery = (run_folder / "index.html").read_text(encoding="utf-8")
    assert '&lt;iframe src=&#34;embed.html&#34;' in gallery and "aspect-ratio:" in gallery


def test_figures_csv_is_the_data_behind_the_graphic_and_the_gallery_links_it(run_folder):
    figures = json.loads((run_folder / "figures.json").read_text(encoding="utf-8"))["figures"]
    rows = list(csv.DictReader(io.StringIO((run_folder / "figures.csv").read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["id", "statement", "printed", "value", "claim", "holds", "verdict", "records"]
    assert [r["id"] for r in rows] == [f["id"] for f in figures]
    by_id = {r["id"]: r for r in rows}
    assert {k: by_id["person_months"][k] for k in ("value", "claim", "holds", "verdict")} == {
        "value": "42", "claim": "38", "holds": "no", "verdict": "accepted difference"}
    assert by_id["online_participants"]["statement"] == (
        "6 online CodeRefinery tools workshops to over 2000 registered participants")
    assert (by_id["training_events"]["holds"], by_id["training_events"]["verdict"]) == ("", "no claim")
    assert {r["records"] for r in rows} == {str(f["record_count"]) for f in figures}
    gallery = etree.fromstring((run_folder / "index.html").read_bytes(), etree.HTMLParser())
    links = {a.get("href") for a in gallery.iter("a")}
    assert {"figures.csv", "figures.json", "report.html", "embed.html"} <= links
    assert {f"panels/{p.stem}.pdf" for p in (run_folder / "panels").glob("*.svg")} <= links
    assert {"figures.csv", "embed.html"} <= {p.name for p in run_folder.iterdir()}
