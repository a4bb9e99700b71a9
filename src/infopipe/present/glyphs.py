"""Text that shows: every character a page draws must be in a font of the theme (or its fallback),
checked against the fonts' character maps (fontTools, through textfit's loaded fonts). A character
no font has would be drawn as an empty box, differently by each renderer, so it is refused before
anything is drawn, naming the figure, its spec line and the character."""

from __future__ import annotations

import unicodedata

from infopipe.errors import InfopipeError, Problem
from infopipe.present.panels import Page, Panel
from infopipe.present.textfit import Fonts, fonts_for

INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}  # controls and format marks are not drawn; spaces are in the fonts


def undrawable(text: str, fonts: Fonts) -> str | None:
    """The first character of `text` that neither face of the family nor its fallback can draw."""
    faces = [f for f in (fonts.regular, fonts.bold, fonts.regular.fallback, fonts.bold.fallback) if f]
    for char in text:
        if unicodedata.category(char) in INVISIBLE or char.isspace():
            continue
        if not any(ord(char) in face.advances for face in faces):
            return char
    return None


def panel_texts(panel: Panel) -> list[tuple[str, str]]:
    texts = [("printed number", panel.headline), ("label", panel.label), ("note", panel.note),
             ("sentence", panel.sentence_text()), ("total", panel.total)]
    return texts + [("breakdown label", part.label) for part in panel.parts]


def check_page_glyphs(page: Page, spec) -> None:
    """Refuse a page with a character the theme's fonts cannot draw."""
    fonts = fonts_for(page.theme.first_family())
    names = ", ".join(dict.fromkeys(f.family for f in (fonts.regular, fonts.regular.fallback) if f))
    lines = {fig.id: fig.line for fig in spec.figures}
    problems = []

    def check(text: str, where: str, line: int | None) -> None:
        char = undrawable(text or "", fonts)
        if char is not None:
            name = unicodedata.name(char, "unnamed")
            problems.append(Problem(str(spec.path), "glyph-missing", f"{where} has {char!r} (U+{ord(char):04X} "
                            f"{name}), which no font of the theme ({names}) can draw: it would show as an "
                            "empty box; write it another way, or set theme.font_family to a font that has it",
                            line=line, value=text))

    for key in ("title", "subtitle", "credit"):
        check(getattr(page, key), f"the page {key}", None)
    for panel in page.panels:
        for what, text in panel_texts(panel):
            check(text, f"the {what} of figure '{panel.id}'", lines.get(panel.id))
    if problems:
        raise InfopipeError("render", problems)
