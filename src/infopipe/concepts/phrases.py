"""Number phrases in running text: every place a page prints a number, read by the claim reader.

A page is prose with numbers in it, not a claim. `find_phrases` finds each number the claim reader
knows (digits, money, percentages, number words: `claims.AMOUNT`; word scales: `claims.WORD_SCALES`)
and grows it into the longest stretch of nearby words that `claims.parse_claim` reads as one claim
("over 2000", "between 20 and 30", "50+", "nearly £3 million"). The reading stays in claims.py, so
whatever the claim reader learns, the finder finds. Each phrase keeps the words around it: the
content words of its clause on each side (for matching it to a figure's label or sentence) and its
nearest neighbours (for matching it to the spec's own words). Written by hand: no library reads
claims; the tokens are plain regular expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from infopipe.concepts.claims import AMOUNT, DEFAULT_TOLERANCE, WORD_SCALES, Claim, ClaimError, parse_claim

REACH = 4  # tokens a phrase may grow on each side ("no fewer than 10", "between 20 and 30")
WINDOW = 3  # content words kept on each side of a phrase
TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+|\S")  # a number (4.1, 2,000), a word, or one mark
_SEEDS = re.compile(AMOUNT.pattern + "|(?P<scale>" + "|".join(
    sorted(map(re.escape, WORD_SCALES), key=len, reverse=True)) + ")", re.IGNORECASE)
CLAUSE_ENDS = {".", "!", "?", ";", "•", "·", "▪", "●"}
STOPWORDS = frozenset("""a an and the of to in on for from with by at as or per is are was were be been
being this that these those it its our we us their they them each also which who has have had not
than into over under about all any our your his her""".split())


@dataclass(frozen=True)
class Phrase:
    """One number phrase as printed, where it is in the text, and the words around it."""

    text: str
    claim: Claim
    start: int
    end: int
    before: tuple[str, ...]  # content words before it in its clause, nearest last
    after: tuple[str, ...]  # content words after it in its clause, nearest first
    left: str | None  # the nearest word or number before it (marks skipped); None at the start
    right: str | None


def content_words(text: str) -> tuple[str, ...]:
    """The words that say what a number counts: lower-case, no stopwords, plural 's' dropped."""
    return tuple(w for w in (_word(t) for t in TOKEN.findall(text)) if w)


def _word(token: str) -> str | None:
    word = token.lower()
    if not word.isalpha() or len(word) < 2 or word in STOPWORDS:
        return None
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def find_phrases(text: str) -> list[Phrase]:
    """Every number phrase in `text`, in order; none overlaps another."""
    tokens = [Token(m.start(), m.end(), m.group(), _starts_line(text, m.start())) for m in TOKEN.finditer(text)]
    depth = _paren_depths(tokens)
    phrases: list[Phrase] = []
    taken = 0  # text before this offset already belongs to a phrase
    for seed in _SEEDS.finditer(text):
        found = seed.group()
        start = seed.start() + len(found) - len(found.lstrip())
        end = seed.start() + len(found.rstrip())
        if start < taken or not _stands_alone(text, start, end):
            continue
        best = _longest_claim(text, tokens, start, end, taken)
        if best is None:
            continue
        (start, end), claim = best
        first = next(i for i, t in enumerate(tokens) if t.end > start)
        last = max(i for i, t in enumerate(tokens) if t.start < end)
        phrases.append(Phrase(
            text[start:end], claim, start, end,
            before=_context(tokens, depth, first, -1), after=_context(tokens, depth, last, +1),
            left=_neighbour(tokens, first, -1), right=_neighbour(tokens, last, +1)))
        taken = end
    return phrases


def read_phrase(text: str, tolerance: float = DEFAULT_TOLERANCE) -> Claim | None:
    """A stretch of printed text as a claim, or None where the claim reader cannot read it."""
    try:
        return parse_claim(text, tolerance)
    except ClaimError:
        return None


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str
    line_start: bool  # first on its line: a dash here is a list bullet, not a range


def _starts_line(text: str, at: int) -> bool:
    return not text[text.rfind("\n", 0, at) + 1:at].strip()


def _breaks(tok: Token) -> bool:
    """Where a clause ends: a full stop, a bullet, a dash that starts a list line."""
    return tok.text in CLAUSE_ENDS or (tok.text in "–—-" and tok.line_start)


def _stands_alone(text: str, start: int, end: int) -> bool:
    """A number inside a word or code ("H2O", "someone", "ES/N005945") is not a printed number."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_") and not (after.isalpha() or after == "_")


def _longest_claim(text, tokens, start, end, taken):
    """The longest stretch around a seed, within REACH tokens each side, that reads as a claim of
    its own: "over 2000" rather than "2000", but "45%" rather than "45% of" (the same claim)."""
    starts = [start] + [t.start for t in reversed(tokens) if t.end <= start and t.start >= taken][:REACH]
    ends = [end] + [t.end for t in tokens if t.start >= end][:REACH]
    best = None
    for s, e in sorted(((s, e) for s in starts for e in ends), key=lambda span: span[1] - span[0]):
        if not _stands_alone(text, s, e):
            continue
        claim = read_phrase(text[s:e])
        if claim is not None and (best is None or _meaning(claim) != _meaning(best[1])):
            best = ((s, e), claim)
    return best


def _meaning(claim: Claim) -> tuple:
    return claim.kind, claim.low, claim.high, claim.low_open, claim.high_open


def _paren_depths(tokens: list[Token]) -> list[int]:
    """How deep in parentheses each token is; a bullet starts again at 0."""
    depths, level = [], 0
    for tok in tokens:
        if _breaks(tok) and tok.text not in ".!?;":
            level = 0
        if tok.text == ")":
            level = max(level - 1, 0)
        depths.append(level)
        if tok.text == "(":
            level += 1
    return depths


def _context(tokens: list[Token], depth: list[int], index: int, step: int) -> tuple[str, ...]:
    """Up to WINDOW content words from `index` outwards, inside its clause and its parentheses."""
    words: list[str] = []
    i = index + step
    while 0 <= i < len(tokens) and len(words) < WINDOW:
        if depth[i] < depth[index] or _breaks(tokens[i]):
            break
        word = _word(tokens[i].text)
        if word:
            words.append(word)
        i += step
    return tuple(reversed(words)) if step < 0 else tuple(words)


def _neighbour(tokens: list[Token], index: int, step: int) -> str | None:
    """The nearest word or number, marks skipped."""
    i = index + step
    while 0 <= i < len(tokens):
        if tokens[i].text[0].isalnum():
            return tokens[i].text.lower()
        i += step
    return None
