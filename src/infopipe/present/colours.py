"""The page's colours checked before drawing: every colour well formed, every text colour at WCAG AA
(4.5:1) against the background it is drawn on. Parsing and contrast are concepts/colours.py.
"""

from __future__ import annotations

from infopipe.concepts.colours import (AA_TEXT, contrast_problems, contrast_ratio, hex_colour, low_contrast,  # noqa: F401
                                       mix, parse_colour, text_pairs)
from infopipe.errors import InfopipeError, Problem
from infopipe.present.panels import Page, Theme

AA_GRAPHICS = 3.0  # WCAG 1.4.11: the marks of a chart against their background


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


def mark_colour_problems(theme: Theme, panels) -> list[str]:
    """One line per palette colour a chart draws marks in that is below 3:1 on the panel background."""
    used: dict[int, list[str]] = {}
    for panel in panels:
        chart = getattr(panel, "chart", None)
        if chart is None:
            continue
        if chart.kind == "share":
            count = len(chart.marks)
        elif chart.kind == "map":
            count = 1
        else:
            count = len({m.series for m in chart.marks})
        for i in range(min(count, len(theme.palette))):
            used.setdefault(i, []).append(panel.id)
    out = []
    for i, ids in sorted(used.items()):
        ratio = contrast_ratio(theme.palette[i], theme.panel_background)
        if ratio < AA_GRAPHICS:
            out.append(f"palette[{i}] {hex_colour(theme.palette[i])} (marks of charts {', '.join(ids)}) on "
                       f"panel_background {hex_colour(theme.panel_background)}: {_shown(ratio)}, below {AA_GRAPHICS}:1")
    return out


def check_page_colours(page: Page, source: str = "theme") -> None:
    """Fail the run on a malformed colour or a text colour below 4.5:1 against its background."""
    bad = colour_problems(page.theme, page.panels)
    if bad:
        raise InfopipeError("render", [Problem(source, "colour", m) for m in bad])
    low = contrast_problems(page.theme, page.panels) + mark_colour_problems(page.theme, page.panels)
    if low:
        raise InfopipeError("render", [Problem(source, "contrast", m) for m in low])

