"""What render draws: plain, frozen objects made from the figures (Panel is declared with the kinds
in concepts/panels.py; the page adds the title, theme and layout).

Render never reads the spec or the figures; it draws only these, so a panel's look depends on exactly
the text, numbers, theme and layout held here, and a hash of them says when a file must be redrawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from infopipe.concepts.panels import PANEL_ID, Chart, Mark, Panel, Part, Segment  # noqa: F401  (declared with the kinds)
from infopipe.spec.model import Layout, Theme  # noqa: F401  (the spec's own models: one declaration of each)

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
