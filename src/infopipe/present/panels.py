"""What render draws: plain, frozen objects that compute fills in (see PANEL-INTERFACE.md).

Render never reads the spec or the figures; it draws only these, so a panel's look depends on exactly
the text, numbers, theme and layout held here, and a hash of them says when a file must be redrawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from infopipe.spec.model import Layout, Theme  # noqa: F401  (the spec's own models: one declaration of each)

PANEL_KINDS = ("number", "sentence", "breakdown", "subcount")
PANEL_ID = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Part:
    """One bar of a breakdown."""

    label: str  # "videos"
    printed: str  # "30" (already formatted text)
    value: float  # 30 (for proportional drawing)
    id: str = ""  # the part's figure id from the spec ("events_online"); its SVG group's id


@dataclass(frozen=True)
class Segment:
    """A piece of a sentence; figures are emphasised."""

    text: str
    is_figure: bool
    figure: str = ""  # the figure's id, for a figure (its <tspan> gets an id naming it)


@dataclass(frozen=True)
class Panel:
    id: str  # figure id; letters, digits, _ and - only; used in file names and SVG ids
    kind: str  # "number" | "sentence" | "breakdown" | "subcount"
    headline: str  # printed headline: "15", "£1m", "more than 40", "dozens"
    label: str = ""  # number/subcount/breakdown: the words under the number
    note: str = ""  # small text under the label (subcount: contains the sub-figure)
    note_figure: str = ""  # subcount: the printed sub-figure inside note, to emphasise ("50")
    segments: tuple[Segment, ...] = ()  # sentence: the whole statement, figures marked
    parts: tuple[Part, ...] = ()  # breakdown parts, in spec order
    total: str = ""  # breakdown: printed total ("84 outputs"), "" when not asked for
    alt: str = ""  # alt text: "15 recruits & their networks, selected from 50 applicants"
    icon: str = ""  # SVG path data in a 100x100 box (y down), "" for none
    color: str = "#b6244f"  # accent colour (from the theme palette)

    def sentence_text(self) -> str:
        return "".join(s.text for s in self.segments)


@dataclass(frozen=True)
class Page:
    title: str
    subtitle: str
    credit: str
    panels: tuple[Panel, ...]
    theme: Theme
    layout: Layout

    def size(self) -> tuple[int, int]:
        """Width and height of the page: header, a grid of panels, footer, margins round it."""
        lay = self.layout
        rows = max(1, -(-len(self.panels) // lay.columns))
        width = 2 * lay.margin + lay.columns * lay.panel_width + (lay.columns - 1) * lay.gap
        height = (2 * lay.margin + lay.header_height + lay.footer_height + rows * lay.panel_height
                  + (rows - 1) * lay.gap)
        return width, height

    def panel_origin(self, index: int) -> tuple[int, int]:
        """Top-left corner (y down) of the index-th panel on the page."""
        lay = self.layout
        row, col = divmod(index, lay.columns)
        return (lay.margin + col * (lay.panel_width + lay.gap),
                lay.margin + lay.header_height + row * (lay.panel_height + lay.gap))
