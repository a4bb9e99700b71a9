"""The files of a page: names, renderers, byte-identical SVG/PNG/PDF across runs, alt-text.json,
reuse of unchanged files by content key, and no file written outside the run folder."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pikepdf
import pytest

from infopipe.errors import InfopipeError
from panel_samples import every_kind_page, jam_page
from infopipe.present.render import Output, plan_outputs, write_outputs

SRC = Path(__file__).resolve().parents[1] / "src"


def hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[16:24]
    return int.from_bytes(head[:4], "big"), int.from_bytes(head[4:], "big")


def test_plan_names_every_file_in_order_with_its_renderer(tmp_path):
    page = every_kind_page()
    outputs = plan_outputs(page, tmp_path)
    expected = []
    for i, p in enumerate(page.panels, start=1):
        expected += [(f"panels/{i:02d}-{p.id}.svg", p.id, "template"), (f"panels/{i:02d}-{p.id}.png", p.id, "resvg"),
                     (f"panels/{i:02d}-{p.id}@2x.png", p.id, "resvg"), (f"panels/{i:02d}-{p.id}.pdf", p.id, "cairosvg")]
    expected += [("page.svg", "page", "template"), ("page.png", "page", "resvg"), ("page.pdf", "page", "cairosvg"),
                 ("alt-text.json", "page", "template"), ("embed.html", "page", "template"),
                 ("index.html", "page", "template")]
    assert [(o.path, o.owner, o.renderer) for o in outputs] == expected
    assert len({o.key for o in outputs}) == len(outputs)  # 1x and 2x PNG of one SVG differ in key
    assert list(tmp_path.iterdir()) == []  # planning writes nothing
    versions = {o.renderer: o.to_dict()["renderer_version"] for o in outputs}
    assert "resvg" in versions["resvg"] and "LiberationSans" not in versions["resvg"]
    assert "Liberation Sans:" in versions["resvg"] and "pikepdf" in versions["cairosvg"]


def test_files_are_written_with_the_right_sizes_and_alt_text(tmp_path):
    page = every_kind_page()
    written = write_outputs(plan_outputs(page, tmp_path), tmp_path)
    assert written.reused == [] and len(written.rendered) == 4 * len(page.panels) + 6
    assert png_size(tmp_path / "panels" / "01-volunteers.png") == (300, 300)
    assert png_size(tmp_path / "panels" / "01-volunteers@2x.png") == (600, 600)
    assert png_size(tmp_path / "page.png") == page.size()
    alt = json.loads((tmp_path / "alt-text.json").read_text(encoding="utf-8"))
    assert alt == {p.id: p.alt for p in page.panels}
    assert alt["recruits"] == "15 recruits & their networks, selected from 50 applicants"
    with pikepdf.open(tmp_path / "page.pdf") as pdf:
        assert len(pdf.pages) == 1
        box = [float(v) for v in pdf.pages[0].MediaBox]
        assert box[2] - box[0] == pytest.approx(page.size()[0] * 0.75)  # px -> pt
        info = {str(k): str(v) for k, v in pdf.trailer.Info.items()}
        assert info == {"/Producer": "infopipe", "/Title": page.title}
    raw = (tmp_path / "page.pdf").read_bytes()
    assert b"CreationDate" not in raw and b"ModDate" not in raw and b"cairo" not in raw.lower()


WRITE_IN_CHILD = """
import sys
from pathlib import Path
from panel_samples import jam_page
from infopipe.present.render import plan_outputs, write_outputs
folder = Path(sys.argv[1])
write_outputs(plan_outputs(jam_page(), folder), folder)
"""


def test_svg_png_and_pdf_are_byte_identical_across_runs(tmp_path):
    """Once in this process and once in a fresh one: fonts, caches and ids must not leak into bytes."""
    first, second = tmp_path / "a", tmp_path / "b"
    write_outputs(plan_outputs(jam_page(), first), first)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(Path(__file__).parent)])}
    subprocess.run([sys.executable, "-c", WRITE_IN_CHILD, str(second)], check=True, env=env, timeout=300)
    a, b = hashes(first), hashes(second)
    assert {"page.pdf", "page.png", "page.svg", "panels/04-recruits@2x.png"} <= set(a)
    assert a == b


def test_unchanged_files_are_copied_from_the_earlier_run_and_only_changed_ones_drawn(tmp_path):
    page = every_kind_page()
    before = plan_outputs(page, tmp_path / "one")
    write_outputs(before, tmp_path / "one")
    keys = {o.path: o.key for o in before}

    relabelled = replace(page, panels=(page.panels[0], replace(page.panels[1], label="recruits"), *page.panels[2:]))
    after = plan_outputs(relabelled, tmp_path / "two")
    done = write_outputs(after, tmp_path / "two", reuse_from=tmp_path / "one", reuse_keys=keys)
    assert done.rendered == ["panels/02-recruits.svg", "panels/02-recruits.png", "panels/02-recruits@2x.png",
                             "panels/02-recruits.pdf", "page.svg", "page.png", "page.pdf", "embed.html"]
    assert set(done.reused) == {o.path for o in after} - set(done.rendered)
    fresh = tmp_path / "three"
    write_outputs(after, fresh)
    assert hashes(tmp_path / "two") == hashes(fresh)  # a reused file is the file a fresh render makes

    retheme = replace(page, theme=page.theme.model_copy(update={"text": "#000000"}))
    again = write_outputs(plan_outputs(retheme, tmp_path / "four"), tmp_path / "four",
                          reuse_from=tmp_path / "one", reuse_keys=keys)
    assert {p for p in again.rendered if p.startswith("panels/") and p.endswith(".svg")} == {
        f"panels/{i:02d}-{p.id}.svg" for i, p in enumerate(page.panels, start=1)}


def test_a_recorded_key_whose_file_is_gone_is_drawn_again(tmp_path):
    page = every_kind_page()
    before = plan_outputs(page, tmp_path / "one")
    write_outputs(before, tmp_path / "one")
    (tmp_path / "one" / "page.pdf").unlink()
    done = write_outputs(before, tmp_path / "two", reuse_from=tmp_path / "one",
                         reuse_keys={o.path: o.key for o in before})
    assert done.rendered == ["page.pdf"]


@pytest.mark.parametrize("bad", ["../outside.svg", "panels/../../outside.svg", "/tmp/outside.svg"])
def test_an_output_path_outside_the_folder_is_refused_before_anything_is_written(tmp_path, bad):
    folder = tmp_path / "run"
    folder.mkdir()
    good = plan_outputs(every_kind_page(), folder)[0]
    evil = Output(bad, "x", "template", "k", source="<svg/>")
    with pytest.raises(InfopipeError, match=r"\[path-escape\]"):
        write_outputs([good, evil], folder)
    assert list(folder.rglob("*")) == [] and not (tmp_path / "outside.svg").exists()


def test_a_panels_folder_that_is_a_symlink_out_is_refused(tmp_path):
    folder, elsewhere = tmp_path / "run", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (folder / "panels").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(InfopipeError, match=r"\[path-escape\]"):
        plan_outputs(every_kind_page(), folder)
    assert list(elsewhere.iterdir()) == []


def test_each_panel_file_has_the_same_drawing_as_its_group_in_the_page(tmp_path):
    from lxml import etree

    page = jam_page()
    page = replace(page, panels=(*page.panels[:-1], replace(page.panels[-1], icon="")))  # one without icon
    svg = {o.path: o.source for o in plan_outputs(page, tmp_path) if o.path.endswith(".svg")}
    ns = "{http://www.w3.org/2000/svg}"
    groups = {g.get("id"): g for g in etree.fromstring(svg["page.svg"].encode()).iter(f"{ns}g")}
    for i, panel in enumerate(page.panels, start=1):
        alone = etree.fromstring(svg[f"panels/{i:02d}-{panel.id}.svg"].encode()).find(f"{ns}g")
        in_page = [etree.tostring(e) for e in groups[f"panel-{panel.id}"] if e.tag not in (f"{ns}title", f"{ns}desc")]
        assert [etree.tostring(e) for e in alone] == in_page, panel.id
