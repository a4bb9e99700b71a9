"""The published report, read back: each page's words in reading order, and where each word is.

pdfplumber (pdfminer.six underneath) gives every word with its box. Words are taken in the order the
PDF draws them (`use_text_flow`), which is reading order for typeset reports and panel by panel for
infopipe's own page (a row of panels would otherwise mix their numbers and labels). A word
continues the line of the word before when it sits beside it, to its right; otherwise it starts a line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from infopipe.errors import InfopipeError, Problem

WORD_GAP = 0.15  # a gap wider than this share of a letter's size splits words (small credit lines)


@dataclass(frozen=True)
class Word:
    start: int  # offsets in the page's text
    end: int
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class PageText:
    """One page's text (words joined by spaces, lines by newlines) and each word's box."""

    number: int
    width: float
    height: float
    text: str
    words: tuple[Word, ...]

    def position(self, start: int, end: int) -> dict:
        """Where a stretch of the text is printed: its line on the page and its box, in points
        from the top left."""
        boxes = [w for w in self.words if w.end > start and w.start < end]
        return {"page": self.number, "line": self.text.count("\n", 0, start) + 1,
                "x": round(min(w.x0 for w in boxes), 1), "y": round(min(w.top for w in boxes), 1),
                "width": round(max(w.x1 for w in boxes) - min(w.x0 for w in boxes), 1),
                "height": round(max(w.bottom for w in boxes) - min(w.top for w in boxes), 1)}

    def lines(self) -> list[tuple[int, str]]:
        """Each line with the offset it starts at."""
        out, at = [], 0
        for line in self.text.split("\n"):
            out.append((at, line))
            at += len(line) + 1
        return out


def read_pages(path: Path, pages: Sequence[int], shown: str | None = None) -> list[PageText]:
    """The text of the given pages (1-based) of a PDF; a clear error when the file is not a PDF or
    has fewer pages."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psparser import PSException
    from pdfplumber.utils.exceptions import PdfminerException

    shown = shown or str(path)
    if not Path(path).is_file():
        raise InfopipeError("coverage", [Problem(shown, "report-missing", "no such file")])
    try:
        with pdfplumber.open(path) as pdf:
            missing = [n for n in pages if not 1 <= n <= len(pdf.pages)]
            if missing:
                count = len(pdf.pages)
                raise InfopipeError("coverage", [Problem(shown, "no-such-page", f"page {missing[0]} asked "
                                                         f"for, but the PDF has {count} page{'s' * (count != 1)}")])
            read = [_page_text(pdf.pages[n - 1], n) for n in pages]
    except (PdfminerException, PDFSyntaxError, PSException, ValueError, TypeError, KeyError) as err:
        raise InfopipeError("coverage", [Problem(shown, "not-a-pdf", "cannot read it as a PDF "
                                                 f"({str(err)[:120] or type(err).__name__})")]) from None
    blank = [p.number for p in read if not p.words]
    if blank:  # nothing to check is not the same as nothing uncovered
        raise InfopipeError("coverage", [Problem(shown, "no-text", f"page {blank[0]} has no text to read "
                                                 "(a scanned image?): its numbers cannot be checked")])
    return read


def _page_text(page, number: int) -> PageText:
    pieces: list[str] = []
    words: list[Word] = []
    at, last = 0, None
    for w in page.extract_words(use_text_flow=True, x_tolerance_ratio=WORD_GAP):
        if last is not None:
            pieces.append(" " if _same_line(last, w) else "\n")
            at += 1
        pieces.append(w["text"])
        words.append(Word(at, at + len(w["text"]), w["x0"], w["top"], w["x1"], w["bottom"]))
        at += len(w["text"])
        last = w
    return PageText(number, float(page.width), float(page.height), "".join(pieces), tuple(words))


def _same_line(last: dict, word: dict) -> bool:
    overlap = min(last["bottom"], word["bottom"]) - max(last["top"], word["top"])
    smaller = min(last["bottom"] - last["top"], word["bottom"] - word["top"])
    return overlap > 0.5 * smaller and word["x0"] >= last["x0"]
