"""Draw panels and the page as our own SVG, then make PNG and PDF from that SVG, without a browser.

The SVG comes from Jinja2 templates (autoescape on), so ids, classes, <title>/<desc> and every byte
are ours and the same for the same input. resvg rasterises the PNGs (1x, 2x) with the exact font
files fontconfig picks, cairosvg draws the page PDF, and pikepdf strips the PDF's dates, producer
and random /ID, so all three are byte-identical across runs. Each file is an `Output` with a content
key (its source text + renderer + version + fonts), so an unchanged file is copied from an earlier
run instead of being drawn again.
"""

from __future__ import annotations

import hashlib
import io
import json
from contextlib import closing
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Callable
import time

import jinja2

from infopipe import __version__
from infopipe import files
from infopipe.errors import InfopipeError, Problem
from infopipe.present import chart_export, chart_panels, pool  # noqa: F401  (chart_panels registers the chart kinds' drawer)
from infopipe.present.layout import DrawnPage, DrawnPanel, layout_page, layout_panel
from infopipe.present.panels import Layout, Page, Panel, Theme
from infopipe.present.gallery import render_gallery
from infopipe.present.templates import templates
from infopipe.present.textfit import Fonts, font_identity, fonts_for

TEMPLATE = "template"
RESVG = "resvg"
CAIROSVG = "cairosvg"


# --- SVG ------------------------------------------------------------------------------------------

def svg_from_drawn(drawn: DrawnPanel, theme: Theme) -> str:
    return templates().get_template("panel.svg.j2").render(p=drawn, family=theme.font_family)


def render_panel_svg(panel: Panel, theme: Theme, layout: Layout, reserve_icon: bool | None = None,
                     headline_size: float | None = None) -> str:
    """One panel as a standalone SVG file's text.

    `reserve_icon=True` places the headline as on a page where other panels have icons, and
    `headline_size` sizes it as the page's other number panels (what plan_outputs does, so a panel
    file matches its group in page.svg); default: only if it has one, and its own size.
    """
    return svg_from_drawn(layout_panel(panel, theme, layout, reserve_icon, headline_size=headline_size), theme)


@dataclass(frozen=True)
class Paper:
    """The page drawn on paper: its size in mm, and the viewBox that centres the page on it (the
    background colour filling the margins the paper's other proportions leave)."""

    width_mm: float
    height_mm: float
    x: float
    y: float
    width: float
    height: float


def paper_for(drawn: DrawnPage, size: str | None) -> Paper | None:
    if size is None:
        return None
    from infopipe.spec.model import paper_mm

    width_mm, height_mm = paper_mm(size)
    ratio = width_mm / height_mm
    width, height = drawn.width, drawn.height
    if width / height > ratio:
        view_w, view_h = width, width / ratio
    else:
        view_w, view_h = height * ratio, height
    return Paper(width_mm, height_mm, -(view_w - width) / 2, -(view_h - height) / 2, view_w, view_h)


def svg_from_drawn_page(drawn: DrawnPage, theme: Theme, paper: Paper | None = None) -> str:
    """The page's SVG; with `paper`, sized in millimetres for print (what page.pdf is drawn from)."""
    return templates().get_template("page.svg.j2").render(page=drawn, family=theme.font_family, paper=paper)


def inline_svg(page_svg: str) -> str:
    """The page's SVG for inside an HTML page: no XML declaration, and as wide as its container
    (the viewBox keeps its proportions), so the embed is responsive."""
    body = page_svg.split("?>", 1)[1].lstrip() if page_svg.startswith("<?xml") else page_svg
    head, rest = body.split(">", 1)
    head = re.sub(r' (width|height)="[^"]*"', "", head, count=2)
    return f'{head} style="display:block;width:100%;height:auto">{rest}'


def render_page_svg(page: Page) -> str:
    """The whole page as SVG: header, each panel under <g id="panel-<id>">, credit."""
    return svg_from_drawn_page(layout_page(page), page.theme)


# --- rasters --------------------------------------------------------------------------------------

def png_from_svg(svg: str, fonts: Fonts, zoom: float = 1) -> bytes:
    """PNG by resvg, given exactly the theme's font files (no system scan: same pixels everywhere)."""
    import resvg_py

    return bytes(resvg_py.svg_to_bytes(svg_string=svg, zoom=zoom, skip_system_fonts=True,
                                       font_files=fonts.files(), sans_serif_family=fonts.regular.family,
                                       font_family=fonts.regular.family))


def pdf_from_svg(svg: str, title: str) -> bytes:
    """PDF by cairosvg, normalised by pikepdf: no dates, a fixed producer, an /ID from the content."""
    import cairosvg
    import pikepdf

    raw = cairosvg.svg2pdf(bytestring=svg.encode("utf-8"))
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        if "/Metadata" in pdf.Root:
            del pdf.Root.Metadata
        info = pikepdf.Dictionary(Title=pikepdf.String(title), Producer=pikepdf.String("infopipe"))
        pdf.trailer.Info = pdf.make_indirect(info)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return out.getvalue()


@lru_cache(maxsize=None)
def renderer_version(renderer: str, fonts_id: str) -> str:
    """What shapes a file's bytes besides its source text: library versions and the font files.

    Read from package metadata (and libcairo itself through ctypes), not by importing the renderers:
    importing cairocffi alone costs ~0.4 s, which a run that reuses every file should not pay.
    """
    if renderer == TEMPLATE:
        return f"infopipe {__version__}; Jinja2 {jinja2.__version__}"
    if renderer == RESVG:
        return f"resvg-py {metadata.version('resvg-py')}; fonts {fonts_id}"
    if renderer in (chart_export.PLOTLY_HTML, chart_export.COPY):
        return f"plotly {metadata.version('plotly')} (plotly.js {chart_export.plotlyjs_version()})"
    return (f"cairosvg {metadata.version('cairosvg')}; cairocffi {metadata.version('cairocffi')}; "
            f"cairo {cairo_version()}; pikepdf {metadata.version('pikepdf')}; fonts {fonts_id}")


def cairo_version() -> str:
    """The libcairo that cairosvg will load, asked directly (cairo_version_string)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("cairo")
    if not name:
        return "not found"
    func = ctypes.CDLL(name).cairo_version_string
    func.restype = ctypes.c_char_p
    return func().decode()


# --- outputs --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Output:
    """One file of a run: where it goes, whose it is, what makes it, and its content key."""

    path: str  # relative to the run folder, with "/"
    owner: str  # panel id, or "page" for the page, alt-text.json and index.html
    renderer: str  # "template" | "resvg" | "cairosvg"
    key: str  # sha256 of the source text, the renderer and its version (and fonts), the format
    source: str = field(repr=False, compare=False, default="")  # the SVG (or the final text)
    zoom: float = 1
    title: str = field(repr=False, compare=False, default="")
    version: str = field(repr=False, compare=False, default="")
    family: str = field(repr=False, compare=False, default="")  # the font family it is drawn with

    def to_dict(self) -> dict:
        return {"path": self.path, "owner": self.owner, "renderer": self.renderer,
                "renderer_version": self.version, "key": self.key}


@dataclass(frozen=True)
class Written:
    """What write_outputs did: every path drawn now, and every path copied from the earlier run."""

    rendered: list[str]
    reused: list[str]


def _output(path: str, owner: str, renderer: str, source: str, theme: Theme, zoom: float = 1,
            title: str = "") -> Output:
    version = renderer_version(renderer, fonts_for(theme.first_family()).identity())
    fmt = Path(path).suffix + (f"@{zoom:g}x" if renderer == RESVG else "")
    key = hashlib.sha256(f"{renderer}\n{version}\n{fmt}\n{source}".encode("utf-8")).hexdigest()
    return Output(path, owner, renderer, key, source, zoom, title, version, theme.font_family)


def inside(folder: Path, relative: str) -> Path:
    return files.inside(folder, relative, "render")


def panel_stem(index: int, panel: Panel) -> str:
    return f"panels/{index + 1:02d}-{panel.id}"


def chart_outputs(page: Page, plotted: dict, theme: Theme) -> list[Output]:
    """Each chart's plot as kaleido drew it (.plot.svg, keyed by its chart key, renderer
    plotly+kaleido) and its interactive HTML; plotly.js (and the world map) beside them."""
    if not plotted:
        return []
    fonts_id = fonts_for(theme.first_family()).identity()
    version = chart_export.renderer_version(fonts_id)
    outputs = []
    for index, panel in enumerate(page.panels):
        if panel.id in plotted:
            plot, stem = plotted[panel.id], panel_stem(index, panel)
            outputs.append(Output(f"{stem}.plot.svg", panel.id, chart_export.KALEIDO, plot.key, plot.svg,
                                  version=version, family=theme.font_family))
            figure = json.dumps(plot.figure, sort_keys=True, ensure_ascii=False)
            outputs.append(_output(f"{stem}.html", panel.id, chart_export.PLOTLY_HTML, figure, theme))
    outputs.append(_output("panels/plotly.min.js", "page", chart_export.COPY, "plotly.min.js "
                           + chart_export.plotlyjs_version(), theme))
    if any(p.chart is not None and p.chart.kind == "map" for p in page.panels):
        outputs.append(_output(f"panels/topojson/{chart_export.TOPOJSON_FILE}", "page", chart_export.COPY,
                               f"topojson {chart_export.TOPOJSON_SHA256}", theme))
    return outputs


def plan_outputs(page: Page, folder: Path, reuse_from: Path | None = None,
                 reuse_keys: dict | None = None) -> list[Output]:
    """Every file of the page, in a fixed order, each with its content key; nothing is written
    (except that changed charts are drawn by kaleido here: a panel's SVG holds its plot).

    Panels: panels/NN-<id>.svg, .png, @2x.png, .pdf (charts also .plot.svg and .html); then page.svg,
    page.png, page.pdf, alt-text.json, the web embed embed.html and the gallery index.html. SVG, JSON and HTML text is made
    here (it is what the keys hash).
    """

    theme = page.theme
    earlier = {key: inside(reuse_from, path) for path, key in (reuse_keys or {}).items()
               if reuse_from is not None and path.endswith(".plot.svg")}
    with chart_panels.session(earlier) as plotted:  # charts whose key is new are drawn, in one batch
        drawn = layout_page(page)
    charts = chart_outputs(page, plotted, theme)
    outputs: list[Output] = []
    for index, (panel, (_, _, drawn_panel)) in enumerate(zip(page.panels, drawn.panels)):
        stem = panel_stem(index, panel)
        svg = svg_from_drawn(drawn_panel, page.theme)
        outputs += [o for o in charts if o.owner == panel.id and o.renderer == chart_export.KALEIDO]
        outputs += [_output(f"{stem}.svg", panel.id, TEMPLATE, svg, theme),
                    _output(f"{stem}.png", panel.id, RESVG, svg, theme),
                    _output(f"{stem}@2x.png", panel.id, RESVG, svg, theme, zoom=2),
                    _output(f"{stem}.pdf", panel.id, CAIROSVG, svg, theme, title=drawn_panel.title)]
        outputs += [o for o in charts if o.owner == panel.id and o.renderer != chart_export.KALEIDO]
    outputs += [o for o in charts if o.owner == "page"]
    page_svg = svg_from_drawn_page(drawn, page.theme)
    paper = paper_for(drawn, page.layout.print_size)
    print_svg = page_svg if paper is None else svg_from_drawn_page(drawn, page.theme, paper)
    outputs += [_output("page.svg", "page", TEMPLATE, page_svg, theme),
                _output("page.png", "page", RESVG, page_svg, theme),
                _output("page.pdf", "page", CAIROSVG, print_svg, theme, title=page.title)]
    alt = json.dumps({p.id: p.alt for p in page.panels}, ensure_ascii=False, indent=2) + "\n"
    outputs.append(_output("alt-text.json", "page", TEMPLATE, alt, theme))
    embed = templates().get_template("embed.html.j2").render(page=page, drawn=drawn, svg=inline_svg(page_svg))
    outputs.append(_output("embed.html", "page", TEMPLATE, embed, theme))
    outputs.append(_output("index.html", "page", TEMPLATE, render_gallery(page, drawn, outputs), theme))
    for out in outputs:
        inside(folder, out.path)
    return outputs


def make_bytes(out: Output) -> bytes:
    """Draw one output from its source."""
    fonts = fonts_for(Theme(font_family=out.family).first_family())
    if out.renderer in (TEMPLATE, chart_export.KALEIDO):
        return out.source.encode("utf-8")
    if out.renderer == chart_export.PLOTLY_HTML:
        return chart_export.interactive_html(json.loads(out.source), "chart-" + out.owner).encode("utf-8")
    if out.renderer == chart_export.COPY:
        return chart_export.copied_bytes(out.source.split(" ")[0])
    if out.renderer == RESVG:
        return png_from_svg(out.source, fonts, out.zoom)
    if out.renderer == CAIROSVG:
        return pdf_from_svg(out.source, out.title)
    raise ValueError(f"unknown renderer {out.renderer}")


def write_outputs(outputs: list[Output], folder: Path, reuse_from: Path | None = None,
                  reuse_keys: dict | None = None, deadline: float | None = None,
                  progress: Callable[[int, int], None] | None = None) -> Written:
    """Write every output into `folder`; copy a file from `reuse_from` when its key is unchanged.

    `reuse_keys` maps an earlier run's relative paths to their keys (Output.key as recorded then).
    Every path is checked to stay inside `folder` (and `reuse_from`) before anything is written.
    Rasters are drawn by worker processes (pool.py) while this process writes the rest.
    """
    targets = [inside(folder, out.path) for out in outputs]
    copies, texts, rasters = [], [], []  # (source or output, target) each
    done = 0

    def wrote() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(outputs))

    for out, target in zip(outputs, targets):
        source = None
        if reuse_from is not None and reuse_keys and reuse_keys.get(out.path) == out.key:
            candidate = inside(reuse_from, out.path)
            if candidate.is_file():
                source = candidate
        if source is not None:
            copies.append((source, target))
        elif out.renderer in (TEMPLATE, chart_export.KALEIDO, chart_export.COPY):  # text as it is, no drawing
            texts.append((out, target))
        else:
            rasters.append((out, target))
    for target in {t.parent for t in targets}:
        target.mkdir(parents=True, exist_ok=True)
    with pool.drawing([out for out, _ in rasters], make_bytes, _drawing_cost, deadline,
                      lambda: render_hung(len(outputs), done)) as drawn:  # the workers start drawing now
        for source, target in copies:
            files.reuse_file(source, target)
            wrote()
        for out, target in texts:
            target.write_bytes(make_bytes(out))
            wrote()
        for index, data in drawn:
            rasters[index][1].write_bytes(data)
            wrote()
    copied = {target for _, target in copies}
    return Written([o.path for o, t in zip(outputs, targets) if t not in copied],
                   [o.path for o, t in zip(outputs, targets) if t in copied])


def _drawing_cost(out: Output) -> float:
    """Roughly how long a file takes to draw, to start the big ones first."""
    return len(out.source) * out.zoom * out.zoom * (3 if out.renderer == CAIROSVG else 1)


def render_hung(total: int, done: int) -> InfopipeError:
    return InfopipeError("render", [Problem("render", "render-timeout", f"render hung: {done} of {total} "
                         "files drawn before the time limit; nothing was published. Raise "
                         "render_seconds_per_file in the spec if the page is really this heavy")])


def render_page(page: Page, folder: Path, **reuse) -> tuple[list[Output], Written]:
    """Plan and write every output of a page into `folder` (a convenience for the pipeline)."""
    outputs = plan_outputs(page, folder)
    return outputs, write_outputs(outputs, folder, **reuse)


def renderers_fingerprint(font_family: str, charts: bool = False) -> list[str]:
    """Every renderer's version with the font files it would draw with: part of a run's key, so a
    new font package or renderer makes the next run draw again (for a page with charts, also
    plotly, kaleido and Chromium)."""
    fonts = font_identity(Theme(font_family=font_family).first_family())
    found = [renderer_version(r, fonts) for r in (TEMPLATE, RESVG, CAIROSVG)]
    return found + ([json.dumps(chart_export.chart_versions(fonts), sort_keys=True)] if charts else [])
