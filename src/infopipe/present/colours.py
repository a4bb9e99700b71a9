"""The page's colours checked before drawing: every colour well formed, every text colour at WCAG AA
(4.5:1) against the background it is drawn on. Parsing and contrast are concepts/colours.py.
"""

from __future__ import annotations

import math

from infopipe.concepts.colours import AA_TEXT, contrast_ratio, hex_colour, mix, parse_colour  # noqa: F401
from infopipe.errors import InfopipeError, Problem
from infopipe.present.panels import Page, Theme

AA_GRAPHICS = 3.0  # WCAG 1.4.11: the marks of a chart against their background


def _shown(ratio: float) -> str:
    """Two decimals, rounded down, so a ratio just under 4.5 never prints as '4.50'."""
    return f"{math.floor(ratio * 100) / 100:.2f}:1"


def text_pairs(theme: Theme, panels) -> list[tuple[str, str, str, str]]:
    """Every (name, text colour, background name, background colour) that the drawing uses."""
    pairs = [
        ("text", theme.text, "panel_background", theme.panel_background),
        ("muted", theme.muted, "panel_background", theme.panel_background),
    ]
    seen: dict[str, list[str]] = {}
    for panel in panels:
        seen.setdefault(hex_colour(panel.color), []).append(panel.id)
    for colour, ids in seen.items():
        pairs.append((f"accent (panels {', '.join(ids)})", colour, "panel_background", theme.panel_background))
    pairs += [
        ("title text", theme.text, "background", theme.background),
        ("subtitle and credit muted", theme.muted, "background", theme.background),
    ]
    return pairs


def contrast_problems(theme: Theme, panels) -> list[str]:
    """One line per text/background pair below WCAG AA 4.5:1, naming both colours and the ratio."""
    out = []
    for name, fg, bg_name, bg in text_pairs(theme, panels):
        ratio = contrast_ratio(fg, bg)
        if ratio < AA_TEXT:
            out.append(f"{name} {hex_colour(fg)} on {bg_name} {hex_colour(bg)}: {_shown(ratio)}, "
                       f"below {AA_TEXT}:1")
    return out


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

