"""Measure, wrap and cut text with the font file the renderers will really use.

Text is measured with fontTools in the TTF that fontconfig picks for the theme's first family (the
file Chromium, resvg and cairo also get from fontconfig), so a line that fits here fits when drawn.
A line's width is the kerning-free sum of the glyphs' hmtx advances scaled by size / unitsPerEm.
Kerning only ever pulls Latin glyph pairs closer, so this matches Chromium and resvg within a small
margin and errs on the wide side; tests/test_render_browser.py checks it against Chromium's getBBox.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache

from fontTools.ttLib import TTFont

from infopipe.errors import InfopipeError, Problem

ELLIPSIS = "…"
FALLBACK_FAMILY = "DejaVu Sans"  # Debian's fonts-dejavu-core: covers what Liberation lacks
SPACE = re.compile(r"(\s+)")


@dataclass(frozen=True)
class Font:
    """One font file's metrics, in em units (1.0 = the font size)."""

    path: str
    family: str
    bold: bool
    ascent: float  # above the baseline, as a fraction of the size
    descent: float  # below the baseline, positive
    advances: dict = field(repr=False)  # code point -> advance in em
    missing: float = field(repr=False)  # advance used for a character no font has
    sha256: str = field(repr=False)
    fallback: "Font | None" = field(repr=False, default=None)

    def advance(self, char: str) -> float:
        code = ord(char)
        if code in self.advances:
            return self.advances[code]
        if self.fallback is not None and code in self.fallback.advances:
            return self.fallback.advances[code]
        return self.missing

    def width(self, text: str, size: float) -> float:
        return sum(self.advance(c) for c in text) * size

    def line_height(self, size: float) -> float:
        """The height of one line's box (ascent + descent), as browsers report it in getBBox."""
        return (self.ascent + self.descent) * size


@dataclass(frozen=True)
class Fonts:
    """The regular and bold faces of one family."""

    regular: Font
    bold: Font

    def face(self, bold: bool) -> Font:
        return self.bold if bold else self.regular

    def files(self) -> list[str]:
        """Every font file a rasteriser needs to draw this family (and its fallback)."""
        out = []
        for font in (self.regular, self.bold, self.regular.fallback, self.bold.fallback):
            if font is not None and font.path not in out:
                out.append(font.path)
        return out

    def identity(self) -> str:
        """Names and hashes of the font files: part of every raster output's content key."""
        fonts = [self.regular, self.bold, self.regular.fallback, self.bold.fallback]
        return ";".join(f"{f.family}:{f.sha256}" for f in fonts if f is not None)


def font_file(family: str, bold: bool) -> str:
    """The file fontconfig picks for a family and weight (`fc-match -f '%{file}' 'Family:bold'`)."""
    exe = shutil.which("fc-match")
    if exe is None:
        raise InfopipeError("render", [Problem("fontconfig", "font-missing",
                            "fc-match was not found: install fontconfig and the theme's fonts "
                            "(Debian: apt-get install fontconfig fonts-liberation fonts-dejavu-core)")])
    pattern = f"{family}:{'bold' if bold else 'regular'}"
    done = subprocess.run([exe, "-f", "%{file}", pattern], capture_output=True, text=True, timeout=30)
    path = done.stdout.strip()
    if done.returncode != 0 or not path:
        raise InfopipeError("render", [Problem("fontconfig", "font-missing",
                            f"fontconfig found no font for '{pattern}': install fonts-liberation and "
                            "fonts-dejavu-core (scripts/ensure-system-packages.sh)")])
    return path


@lru_cache(maxsize=None)
def load_font(path: str, bold: bool, with_fallback: bool = True) -> Font:
    """Read one TTF's advances and vertical metrics (cached: once per file per process)."""
    with open(path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    tt = TTFont(path, lazy=True)
    units = tt["head"].unitsPerEm
    hmtx = tt["hmtx"].metrics
    advances = {code: hmtx[glyph][0] / units for code, glyph in tt.getBestCmap().items() if glyph in hmtx}
    hhea = tt["hhea"]
    family = tt["name"].getDebugName(1) or path
    tt.close()
    fallback = None
    if with_fallback:
        other = font_file(FALLBACK_FAMILY, bold)
        if other != path:
            fallback = load_font(other, bold, with_fallback=False)
    return Font(path=path, family=family, bold=bold, ascent=hhea.ascent / units,
                descent=abs(hhea.descent) / units, advances=advances, missing=1.0, sha256=digest,
                fallback=fallback)


@lru_cache(maxsize=None)
def fonts_for(family: str) -> Fonts:
    """Regular and bold faces for a family, as fontconfig resolves it on this machine."""
    return Fonts(regular=load_font(font_file(family, False), False),
                 bold=load_font(font_file(family, True), True))


# --- wrapping ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """A piece of text in one style; `tag` says what it is (e.g. "figure") for the drawing."""

    text: str
    bold: bool = False
    tag: str = ""


Line = tuple[Run, ...]


def line_text(line: Line) -> str:
    return "".join(r.text for r in line)


def runs_width(runs, fonts: Fonts, size: float) -> float:
    return sum(fonts.face(r.bold).width(r.text, size) for r in runs)


def _merge(runs) -> Line:
    """Join neighbouring runs of the same style, so a line has as few pieces as it can."""
    out: list[Run] = []
    for run in runs:
        if not run.text:
            continue
        if out and (out[-1].bold, out[-1].tag) == (run.bold, run.tag):
            out[-1] = Run(out[-1].text + run.text, run.bold, run.tag)
        else:
            out.append(run)
    return tuple(out)


def _words(runs) -> list[list[Run]]:
    """Split styled text into words (maximal runs of non-space characters, styles kept inside).

    A tagged run (a figure such as "over 2000") is one word: a line never breaks inside it unless
    it is wider than the whole line (see `wrap`).
    """
    words: list[list[Run]] = [[]]
    for run in runs:
        for piece in ([run.text] if run.tag else SPACE.split(run.text)):
            if not piece:
                continue
            if piece.isspace():
                if words[-1]:
                    words.append([])
            else:
                words[-1].append(Run(piece, run.bold, run.tag))
    return [w for w in words if w]


def _break_word(word: list[Run], fonts: Fonts, size: float, width: float) -> list[list[Run]]:
    """Cut a word wider than the line into pieces by character (a long URL or code, say)."""
    pieces: list[list[Run]] = [[]]
    used = 0.0
    for run in word:
        face = fonts.face(run.bold)
        for char in run.text:
            step = face.advance(char) * size
            if used + step > width and pieces[-1]:
                pieces.append([])
                used = 0.0
            pieces[-1].append(Run(char, run.bold, run.tag))
            used += step
    return pieces


def _space(before: Run, after: Run) -> Run:
    """The space between two words: in their style when they share it, else plain."""
    if (before.bold, before.tag) == (after.bold, after.tag):
        return Run(" ", before.bold, before.tag)
    return Run(" ")


def wrap(runs, fonts: Fonts, size: float, width: float) -> list[Line]:
    """Greedy word wrap of styled runs into lines no wider than `width`."""
    space = fonts.regular.width(" ", size)
    lines: list[list[Run]] = []
    current: list[Run] = []
    used = 0.0
    for word in _words(runs):
        word_width = runs_width(word, fonts, size)
        if word_width > width and any(" " in r.text.strip() for r in word):
            # a figure wider than the line: let it break at its own spaces after all
            lines_of_parts = wrap([Run(r.text, r.bold) for r in word], fonts, size, width)
            chunks = [[Run(r.text, r.bold, word[0].tag) for r in part] for part in lines_of_parts]
        else:
            chunks = [word] if word_width <= width else _break_word(word, fonts, size, width)
        for chunk in chunks:
            chunk_width = runs_width(chunk, fonts, size)
            if current and used + space + chunk_width <= width:
                current += [_space(current[-1], chunk[0]), *chunk]
                used += space + chunk_width
            else:
                if current:
                    lines.append(current)
                current, used = list(chunk), chunk_width
    if current:
        lines.append(current)
    return [_merge(line) for line in lines]


def ellipsize(line: Line, fonts: Fonts, size: float, width: float) -> Line:
    """The line cut so that it ends in "…" and fits `width` (the last resort of fitting)."""
    chars = [Run(c, r.bold, r.tag) for r in line for c in r.text]
    while chars:
        last = chars[-1]
        candidate = [*chars, Run(ELLIPSIS, last.bold, last.tag)]
        if runs_width(candidate, fonts, size) <= width:
            return _merge(candidate)
        chars.pop()
        while chars and chars[-1].text.isspace():
            chars.pop()
    return _merge([Run(ELLIPSIS)]) if fonts.regular.width(ELLIPSIS, size) <= width else ()


def wrap_limited(runs, fonts: Fonts, size: float, width: float, max_lines: int | None) -> list[Line]:
    """Wrap, then keep at most `max_lines`, the last one cut with an ellipsis when text was lost."""
    lines = wrap(runs, fonts, size, width)
    if max_lines is None or len(lines) <= max_lines:
        return lines
    if max_lines <= 0:
        return []
    kept = lines[:max_lines]
    rest = [r for line in lines[max_lines:] for r in (Run(" "), *line)]
    kept[-1] = ellipsize(_merge([*kept[-1], *rest]), fonts, size, width)
    return kept


def fit_size(text: str, fonts: Fonts, bold: bool, size: float, width: float, floor: float) -> float:
    """The largest size not above `size` (and not below `floor`) at which one line fits `width`."""
    natural = fonts.face(bold).width(text, size)
    if natural <= width:
        return size
    return max(floor, size * width / natural)


@lru_cache(maxsize=None)
def font_identity(family: str) -> str:
    """The font files a family draws with (and the fallback), by path and hash, without parsing
    them: cheap enough for a run that only checks whether anything changed."""
    out = []
    for fam in dict.fromkeys((family, FALLBACK_FAMILY)):
        for bold in (False, True):
            path = font_file(fam, bold)
            with open(path, "rb") as handle:
                out.append(f"{path}:{hashlib.sha256(handle.read()).hexdigest()}")
    return ";".join(out)
