"""Draw each figure as a panel and all panels as a page, then export them in one kaleido batch.

Everything is drawn in pixel coordinates on hidden axes, so a panel looks the same alone and on the
page. Text stays text in the SVG, escaped, so designers can edit it and data cannot inject markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go

from .errors import InfopipeError, Problem
from .figures import FigureResult
from .spec import Spec

PATH_TOKEN = re.compile(r"[MLHVCSQTZ]|-?\d+(?:\.\d+)?")
SVG_UID = re.compile(r'id="defs-([0-9a-z]+)"')


@dataclass(frozen=True)
class ExportJob:
    figure: go.Figure
    path: Path
    width: int
    height: int
    scale: float = 1


def panel_figures(results: list[FigureResult]) -> list[FigureResult]:
    return [r for r in results if r.panel]


def _canvas(width: int, height: int, background: str, font_family: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        width=width, height=height, margin=dict(l=0, r=0, t=0, b=0), showlegend=False,
        paper_bgcolor=background, plot_bgcolor=background, font=dict(family=font_family),
        xaxis=dict(range=[0, width], visible=False, fixedrange=True),
        yaxis=dict(range=[0, height], visible=False, fixedrange=True),
    )
    return fig


def _text(fig: go.Figure, text: str, x: float, y: float, size: float, color: str, bold=False):
    shown = html.escape(text, quote=False)
    fig.add_annotation(text=f"<b>{shown}</b>" if bold else shown, x=x, y=y, xref="x", yref="y",
                       showarrow=False, font=dict(size=size, color=color), xanchor="center",
                       yanchor="middle")


def scale_icon(path: str, x0: float, y0: float, size: float) -> str:
    """Move an icon drawn in a 100x100 box (y down) into a size x size box at (x0, y0) (y up)."""
    out, command, index = [], "M", 0
    for token in PATH_TOKEN.findall(path):
        if token.isalpha():
            command, index = token, 0
            out.append(token)
            continue
        value = float(token)
        axis = {"H": "x", "V": "y"}.get(command, "x" if index % 2 == 0 else "y")
        mapped = x0 + value * size / 100 if axis == "x" else y0 + (100 - value) * size / 100
        out.append(f"{mapped:.2f}")
        index += 1
    return " ".join(out)


def draw_panel(fig: go.Figure, result: FigureResult, spec: Spec, index: int, x0: float, y0: float):
    """One panel in the box (x0, y0, panel_width, panel_height): frame, icon, number, label, note."""
    w, h = spec.page["panel_width"], spec.page["panel_height"]
    theme = spec.theme
    color = theme["palette"][index % len(theme["palette"])]
    fig.add_shape(type="rect", x0=x0, y0=y0, x1=x0 + w, y1=y0 + h, xref="x", yref="y",
                  fillcolor=theme["panel_background"], line=dict(color=color, width=3), layer="below")
    icon = spec.icons.get(result.id)
    if icon:
        size = 0.26 * h
        fig.add_shape(type="path", path=scale_icon(icon, x0 + (w - size) / 2, y0 + 0.68 * h, size),
                      xref="x", yref="y", fillcolor=color, line=dict(width=0))
    _text(fig, result.printed, x0 + w / 2, y0 + 0.47 * h, 0.2 * h, color, bold=True)
    _text(fig, result.label, x0 + w / 2, y0 + 0.28 * h, 0.075 * h, theme["text"])
    if result.note:
        _text(fig, result.note, x0 + w / 2, y0 + 0.15 * h, 0.055 * h, theme["muted"])


def build_panel(result: FigureResult, spec: Spec, index: int) -> go.Figure:
    w, h = spec.page["panel_width"], spec.page["panel_height"]
    fig = _canvas(w, h, spec.theme["panel_background"], spec.theme["font_family"])
    draw_panel(fig, result, spec, index, 0, 0)
    return fig


def page_size(spec: Spec, panel_count: int) -> tuple[int, int]:
    p = spec.page
    rows = -(-panel_count // p["columns"])
    width = 2 * p["margin"] + p["columns"] * p["panel_width"] + (p["columns"] - 1) * p["gap"]
    height = (2 * p["margin"] + p["header_height"] + p["footer_height"] + rows * p["panel_height"]
              + (rows - 1) * p["gap"])
    return width, height


def build_page(results: list[FigureResult], spec: Spec) -> go.Figure:
    """All panels in a grid under the title, in the spec's order, with the credit line below."""
    p, theme = spec.page, spec.theme
    panels = panel_figures(results)
    width, height = page_size(spec, len(panels))
    fig = _canvas(width, height, theme["background"], theme["font_family"])
    top = height - p["margin"]
    _text(fig, spec.title, width / 2, top - 0.35 * p["header_height"], 34, theme["text"], bold=True)
    if spec.subtitle:
        _text(fig, spec.subtitle, width / 2, top - 0.75 * p["header_height"], 15, theme["muted"])
    grid_top = top - p["header_height"]
    for i, result in enumerate(panels):
        row, col = divmod(i, p["columns"])
        x0 = p["margin"] + col * (p["panel_width"] + p["gap"])
        y0 = grid_top - (row + 1) * p["panel_height"] - row * p["gap"]
        draw_panel(fig, result, spec, i, x0, y0)
    if spec.credit:
        _text(fig, spec.credit, width / 2, p["margin"] + p["footer_height"] / 2, 12, theme["muted"])
    return fig


def plan_exports(results: list[FigureResult], spec: Spec, folder: Path) -> list[ExportJob]:
    """Every file to render: each panel as SVG, PNG and PNG@2x; the page as SVG, PNG and PDF."""
    w, h = spec.page["panel_width"], spec.page["panel_height"]
    jobs = []
    for i, result in enumerate(panel_figures(results)):
        fig = build_panel(result, spec, i)
        stem = folder / "panels" / f"{i + 1:02d}-{result.id}"
        jobs += [ExportJob(fig, stem.with_suffix(".svg"), w, h),
                 ExportJob(fig, stem.with_suffix(".png"), w, h),
                 ExportJob(fig, stem.parent / f"{stem.name}@2x.png", w, h, 2)]
    page = build_page(results, spec)
    pw, ph = page_size(spec, len(panel_figures(results)))
    jobs += [ExportJob(page, folder / f"page.{ext}", pw, ph) for ext in ("svg", "png", "pdf")]
    return jobs


def export(jobs: list[ExportJob]) -> None:
    """Render all jobs through one browser (one write_images call), then make SVGs reproducible."""
    import plotly.io as pio

    for job in jobs:
        job.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        pio.write_images([j.figure for j in jobs], [j.path for j in jobs],
                         width=[j.width for j in jobs], height=[j.height for j in jobs],
                         scale=[j.scale for j in jobs])
    except Exception as err:  # kaleido raises several types; all mean "no image was made"
        raise InfopipeError("render", [chrome_problem(err)]) from err
    for job in jobs:
        if job.path.suffix == ".svg":
            normalise_svg(job.path)


def chrome_problem(err: Exception) -> Problem:
    """Tell 'no Chrome installed' (how to install one) from 'Chrome stopped' (run again)."""
    text = f"{type(err).__name__}: {err}"
    first = " ".join(text.split())[:240]
    if "requires Google Chrome to be installed" in text:
        return Problem("chromium", "chrome-missing", "no Chrome or Chromium found for kaleido to export "
                       "images. Install one: 'sudo apt-get install -y chromium' (Debian/Ubuntu), or run "
                       "'.venv/bin/plotly_get_chrome'; or set BROWSER_PATH to a Chrome executable")
    if "browser" in text.lower() or "chrome" in text.lower():
        return Problem("chromium", "chrome-stopped", f"the browser stopped during export ({first}); "
                       "nothing was published: run again")
    return Problem("render", "export", f"image export failed: {first}")


def normalise_svg(path: Path) -> None:
    """Replace plotly's random per-render id with a fixed one so equal inputs give equal bytes."""
    text = path.read_text(encoding="utf-8")
    for uid in set(SVG_UID.findall(text)):
        text = re.sub(rf"(defs-|clip|legend){uid}", r"\1infopipe", text)
    path.write_text(text, encoding="utf-8")
