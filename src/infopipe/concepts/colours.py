"""Colours as a spec writes them: `#rgb`, `#rrggbb` or a CSS named colour, and WCAG 2 contrast.

The names are the `webcolors` table, so they are the ones browsers know. Contrast follows WCAG 2.x:
relative luminance of sRGB, ratio (L1 + 0.05) / (L2 + 0.05). The spec reads colours with
`parse_colour`; the presentation checks every text colour against its background with
`contrast_ratio` (present/colours.py).
"""

from __future__ import annotations

import math
import re

import webcolors

AA_TEXT = 4.5
HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def parse_colour(text: str) -> tuple[int, int, int]:
    """(r, g, b) for '#rgb', '#rrggbb' or a CSS colour name; ValueError naming what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"colour {text!r} is empty or not text: use '#rrggbb', '#rgb' or a CSS colour name")
    value = text.strip()
    if value.startswith("#"):
        if not HEX.match(value):
            raise ValueError(f"colour {text!r} is not a hex colour: use '#rrggbb' or '#rgb' "
                             "(hex digits 0-9, a-f)")
        rgb = webcolors.hex_to_rgb(value)
    else:
        try:
            rgb = webcolors.hex_to_rgb(webcolors.name_to_hex(value.lower()))
        except ValueError:
            raise ValueError(f"colour {text!r} is neither '#rrggbb', '#rgb' nor a CSS colour name "
                             "(such as 'navy')") from None
    return rgb.red, rgb.green, rgb.blue


def hex_colour(text: str) -> str:
    """The colour as lower-case '#rrggbb', the one spelling written into SVG files."""
    return "#{:02x}{:02x}{:02x}".format(*parse_colour(text))


def mix(a: str, b: str, share_of_a: float) -> str:
    """A tint: `share_of_a` of colour a over colour b (used for bar tracks behind the bars)."""
    ra, rb = parse_colour(a), parse_colour(b)
    return "#{:02x}{:02x}{:02x}".format(*(round(x * share_of_a + y * (1 - share_of_a)) for x, y in zip(ra, rb)))


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance."""
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    lighter, darker = sorted((luminance(parse_colour(foreground)), luminance(parse_colour(background))),
                             reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _shown(ratio: float) -> str:
    """Two decimals, rounded down, so a ratio just under 4.5 never prints as '4.50'."""
    return f"{math.floor(ratio * 100) / 100:.2f}:1"


def text_pairs(theme, panels) -> list[tuple[str, str, str, str, tuple]]:
    """Every (name, text colour, background name, background colour, where the text colour is set
    in the spec: ("theme", "text") or ("theme", "palette", i)) that the drawing uses."""
    pairs = [
        ("text", theme.text, "panel_background", theme.panel_background, ("theme", "text")),
        ("muted", theme.muted, "panel_background", theme.panel_background, ("theme", "muted")),
    ]
    seen: dict[str, list[str]] = {}
    for panel in panels:
        seen.setdefault(hex_colour(panel.color), []).append(panel.id)
    palette = [hex_colour(c) if _parses(c) else c for c in theme.palette]
    for colour, ids in seen.items():
        where = ("theme", "palette", palette.index(colour)) if colour in palette else ("theme", "palette")
        pairs.append((f"accent (panels {', '.join(ids)})", colour, "panel_background", theme.panel_background, where))
    pairs += [
        ("title text", theme.text, "background", theme.background, ("theme", "text")),
        ("subtitle and credit muted", theme.muted, "background", theme.background, ("theme", "muted")),
    ]
    return pairs


def _parses(colour: str) -> bool:
    try:
        parse_colour(colour)
        return True
    except ValueError:
        return False


def low_contrast(theme, panels) -> list[tuple[tuple, str]]:
    """(where in the spec, message) for each text/background pair below WCAG AA 4.5:1."""
    out = []
    for name, fg, bg_name, bg, where in text_pairs(theme, panels):
        ratio = contrast_ratio(fg, bg)
        if ratio < AA_TEXT:
            out.append((where, f"{name} {hex_colour(fg)} on {bg_name} {hex_colour(bg)}: {_shown(ratio)}, "
                               f"below {AA_TEXT}:1"))
    return out


def contrast_problems(theme, panels) -> list[str]:
    """One line per text/background pair below WCAG AA 4.5:1, naming both colours and the ratio."""
    return [message for _, message in low_contrast(theme, panels)]
