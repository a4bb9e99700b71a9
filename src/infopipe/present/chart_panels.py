"""Chart panels (bar, share, line, map): our title and notes around a plot that plotly draws in
headless Chromium through kaleido, every chart of a page in one batch.

This is the batch drawer the panel-kind registry names for the chart kinds (`draws_in_batch`). The
text around the plot is ours, measured and fitted like every panel's; the plot is reused from an
earlier run while its key (present/chart_export.py) is unchanged, so a run whose charts did not
change starts no browser. `session` scopes what render lends the drawer (the earlier run's plots by
key) and what it gets back (each panel's plot: key, SVG, figure), for the files it writes.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path

from infopipe.errors import InfopipeError, Problem
from infopipe.present import chart_export
from infopipe.present.charts import chart_figure, map_note
from infopipe.present.colours import hex_colour
from infopipe.present.layout import BASE, Stack, _shift, draws_in_batch, scales
from infopipe.present.panels import Layout, Panel, Theme
from infopipe.present.templates import templates
from infopipe.present.textfit import Run, fonts_for

KINDS = ("bar", "share", "line", "map")


@dataclass(frozen=True)
class Plot:
    """A chart's plot area: the plotly figure drawn there, and (once kaleido has drawn it) its SVG."""

    id: str
    cls: str
    x: float
    y: float
    w: float
    h: float
    figure: dict = field(compare=False, repr=False)
    svg: str = field(default="", compare=False, repr=False)  # the stabilised plot, inner markup
    kind: str = "plot"


@dataclass(frozen=True)
class Plotted:
    """One chart's plot as drawn for a page: its key, its stabilised SVG file, its plotly figure."""

    key: str
    svg: str
    figure: dict
    drawn_now: bool  # False: reused from an earlier run


_REUSE: ContextVar[dict[str, Path] | None] = ContextVar("chart_reuse", default=None)
_PLOTTED: ContextVar[dict[str, Plotted] | None] = ContextVar("chart_plotted", default=None)


@contextmanager
def session(reuse: dict[str, Path]):
    """While laying out a page: earlier plot files by key to reuse; yields {panel id: Plotted}."""
    plotted: dict[str, Plotted] = {}
    tokens = _REUSE.set(reuse), _PLOTTED.set(plotted)
    try:
        yield plotted
    finally:
        _REUSE.reset(tokens[0])
        _PLOTTED.reset(tokens[1])


def layout_chart_panel(panel: Panel, theme: Theme, lay: Layout) -> tuple:
    """A chart panel: its title (the label) at the top, its notes at the foot, the plot between.

    Text is ours, measured and fitted like every panel's; the plot area gets what is left, and at
    least half the panel: otherwise the text shrinks, then the notes lose lines, then it fails."""
    fonts = fonts_for(theme.first_family())
    panel = replace(panel, note=" ".join(n for n in (panel.note, map_note(panel.chart)) if n))
    k = min(lay.panel_width, lay.panel_height) / BASE
    pad, gap = 16 * k, 8 * k
    room = lay.panel_height - 2 * pad
    text, muted = hex_colour(theme.text), hex_colour(theme.muted)

    def build(s: float, note_lines: int | None):
        head = Stack(fonts, f"panel-{panel.id}", lay.panel_width / 2, pad, lay.panel_width - 2 * pad, pad)
        if panel.label:
            head.text("label", "label", [Run(panel.label, True)], 20 * k * s, text, bold=True, pitch=1.15,
                      anchor="start", max_lines=2)
        foot = Stack(fonts, f"panel-{panel.id}", lay.panel_width / 2, pad, lay.panel_width - 2 * pad, 0)
        if panel.note and note_lines != 0:
            foot.text("note", "note", [Run(panel.note)], 13 * k * s, muted, pitch=1.25, anchor="start",
                      max_lines=note_lines)
        return head, foot

    for s in scales(theme.min_text_scale):
        head, foot = build(s, None)
        if room - (head.y - pad) - foot.y - 2 * gap >= room / 2:
            break
    else:
        lines = 3
        while room - (head.y - pad) - foot.y - 2 * gap < room / 2:
            if lines < 0:
                raise InfopipeError("render", [Problem(
                    f"panel {panel.id!r}", "text-fit", f"the {panel.kind} chart cannot leave half of its "
                    f"{lay.panel_width}x{lay.panel_height} panel to the plot: make the panel larger or "
                    "the label shorter")])
            head, foot = build(theme.min_text_scale, lines)
            lines -= 1
    top = round(head.y + (gap if head.items else 0))
    bottom = round(lay.panel_height - pad - foot.y - (gap if foot.items else 0))
    width = round(lay.panel_width - 2 * pad)
    figure = chart_figure(panel.id, panel.chart, theme, width, bottom - top, max(9.0, 12 * k * s))
    plot = Plot(f"panel-{panel.id}--plot", "plot", pad, top, width, bottom - top, figure)
    return (*head.items, plot, *(_shift(i, bottom + (gap if foot.items else 0)) for i in foot.items))




@draws_in_batch(*KINDS)
def draw_charts(panels: tuple[Panel, ...], theme: Theme, lay: Layout) -> dict[str, str]:
    """Every chart panel's body (title, plot, notes) as SVG markup; the plots whose key is new are
    drawn by kaleido in one batch, the others read from the earlier run's files."""
    fonts_id = fonts_for(theme.first_family()).identity()
    reuse = _REUSE.get() or {}
    laid = {p.id: layout_chart_panel(p, theme, lay) for p in panels}
    plots = {p.id: next(i for i in laid[p.id] if isinstance(i, Plot)) for p in panels}
    keys = {pid: chart_export.chart_key(plot.figure, fonts_id) for pid, plot in plots.items()}
    svgs, todo = {}, {}
    for pid, key in keys.items():
        earlier = reuse.get(key)
        if earlier is not None and earlier.is_file():
            svgs[pid] = earlier.read_text(encoding="utf-8")
        else:
            todo[pid] = plots[pid].figure
    drawn = chart_export.export_svgs(todo, timeout=max(30.0, 10.0 * len(todo))) if todo else {}
    for pid, svg in drawn.items():
        svgs[pid] = chart_export.stabilise(svg, plots[pid].id)
    record = _PLOTTED.get()
    if record is not None:
        record.update({pid: Plotted(keys[pid], svgs[pid], plots[pid].figure, pid in drawn) for pid in plots})
    macros = templates().get_template("_svg.j2").module
    out = {}
    for p in panels:
        items = [replace(i, svg=chart_export.inner(svgs[p.id])) if isinstance(i, Plot) else i for i in laid[p.id]]
        out[p.id] = "".join(str(macros.item(i, theme.font_family, "    ")) for i in items)
    return out
