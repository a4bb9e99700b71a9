"""Colours as a spec writes them: `#rgb`, `#rrggbb` or a CSS named colour, and WCAG 2 contrast.

The names are the `webcolors` table, so they are the ones browsers know. Contrast follows WCAG 2.x:
relative luminance of sRGB, ratio (L1 + 0.05) / (L2 + 0.05). The spec reads colours with
`parse_colour`; the presentation checks every text colour against its background with
`contrast_ratio` (present/colours.py).
"""

from __future__ import annotations

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
