"""Number phrases in running text: every place a page prints a number, read by the claim reader.

A page is prose with numbers in it, not a claim. `find_phrases` asks the claim reader
(`claims.parse_claim`) about every number and every word or pair of words on the page (each
distinct one once): what it reads is a number ("38", "eight", "a dozen", "dozens"). Each is then
grown into the longest stretch of nearby words that reads as a claim of its own ("over 2000",
"between 20 and 30", "50+", "nearly £3 million"). The finder holds no vocabulary: whatever the
claim reader learns (hedges, number words, languages), the finder finds. Each phrase keeps the words around it: the
content words of its clause on each side (for matching it to a figure's label or sentence) and its
nearest neighbours (for matching it to the spec's own words). Written by hand: no library reads
claims; the tokens are plain regular expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import functools

from infopipe.concepts.claims import DEFAULT_TOLERANCE, Claim, ClaimError, parse_claim

REACH = 4  # tokens a phrase may grow on each side ("no fewer than 10", "between 20 and 30")
WINDOW = 3  # content words kept on each side of a phrase
TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+|\S")  # a number (4.1, 2,000), a word, or one mark
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
    for start, end in _seeds(text, tokens):
        if start < taken:
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


def _seeds(text: str, tokens: list["Token"]):
    """Where numbers are: every token with a digit, and every word, or pair of words, that the
    claim reader reads as a number on its own ("eight", "dozens", "a dozen")."""
    for i, tok in enumerate(tokens):
        if any(ch.isdigit() for ch in tok.text):
            if not (tok.start and (text[tok.start - 1].isalnum() or text[tok.start - 1] == "_")):
                yield tok.start, tok.end  # "1" of "£1m" too; "2" of "H2O" is no number
        elif tok.text.isalpha():
            if _a_number(tok.text):
                yield tok.start, tok.end
            elif i and tokens[i - 1].text.isalpha() and _a_number(text[tokens[i - 1].start:tok.end]):
                yield tokens[i - 1].start, tok.end


def _a_number(words: str) -> bool:
    """Words that name a number by themselves: an exact number or a word scale, not a hedge glued
    to a word ("someone" is not "some one")."""
    claim = _reads(words.lower())
    return claim is not None and claim.kind in ("exact", "scale")


@functools.lru_cache(maxsize=100_000)
def _reads(text: str) -> Claim | None:
    return read_phrase(text)


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
    its own: "over 2000" rather than "2000", but "45%" rather than "45% of", and "38" rather than
    "38 person" (a longer stretch must mean something a shorter one did not, or only add marks
    stuck to it)."""
    starts = [start] + [t.start for t in reversed(tokens) if t.end <= start and t.start >= taken][:REACH]
    ends = [end] + [t.end for t in tokens if t.start >= end][:REACH]
    best, meanings = None, set()
    for s, e in sorted(((s, e) for s in starts for e in ends), key=lambda span: span[1] - span[0]):
        if not _stands_alone(text, s, e):
            continue
        claim = _reads(text[s:e])
        if claim is None:
            continue
        if _meaning(claim) not in meanings or _glued(text, best, s, e):
            best = ((s, e), claim)
            meanings.add(_meaning(claim))
    return best


def _glued(text: str, best, s: int, e: int) -> bool:
    """The stretch only adds marks stuck to the best one ("45" -> "45%")."""
    if best is None:
        return False
    (bs, be), _ = best
    return s <= bs and be <= e and not any(ch.isspace() for ch in text[s:bs] + text[be:e])


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
