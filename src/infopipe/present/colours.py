"""The page's colours checked before drawing: every colour well formed, every text colour at WCAG AA
(4.5:1) against the background it is drawn on. Parsing and contrast are concepts/colours.py.
"""

from __future__ import annotations

from infopipe.concepts.colours import (AA_TEXT, contrast_problems, contrast_ratio, hex_colour, low_contrast,  # noqa: F401
                                       mix, parse_colour, text_pairs)
from infopipe.errors import InfopipeError, Problem
from infopipe.present.panels import Page, Theme


def colour_problems(theme: Theme, panels) -> list[str]:
    """Every malformed colour in the theme or the panels, each named by where it is."""
    named = [("theme.background", theme.background), ("theme.panel_background", theme.panel_background),
             ("theme.text", theme.text), ("theme.muted", theme.muted)]
    named += [(f"theme.palette[{i}]", c) for i, c in enumerate(theme.palette)]
    named += [(f"panel {p.id} color", p.color) for p in panels]
    out = []
    for where, value in named:
        try:
            parse_colour(value)
        except ValueError as err:
            out.append(f"{where}: {err}")
    return out


def check_page_colours(page: Page, source: str = "theme") -> None:
    """Fail the run on a malformed colour or a text colour below 4.5:1 against its background."""
    bad = colour_problems(page.theme, page.panels)
    if bad:
        raise InfopipeError("render", [Problem(source, "colour", m) for m in bad])
    low = contrast_problems(page.theme, page.panels)
    if low:
        raise InfopipeError("render", [Problem(source, "contrast", m) for m in low])

