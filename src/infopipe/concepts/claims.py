"""What a report printed, read as a claim the computed value must satisfy.

"15", "£1m", "more than 40", "50+", "up to 200", "around 200", "nearly £3 million", "between 20 and
30", "a dozen", "dozens", "hundreds": each is one claim kind with its phrases, its numeric meaning
and its words, declared once in KINDS. A claim is an interval; `holds(value)` is membership.
Word scales are defined once in WORD_SCALES (and documented in the README from that table).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

DEFAULT_TOLERANCE = 0.1  # "around 200" means within 10% unless the spec says otherwise

# Word scales: a word the report may print instead of a number, and the counts it covers.
WORD_SCALES: dict[str, tuple[float, float]] = {
    "dozens": (24, 143),                      # two dozen up to just under a gross
    "scores": (40, 399),                      # two score up to twenty score
    "hundreds": (200, 1_999),
    "thousands": (2_000, 1_999_999),
    "tens of thousands": (20_000, 99_999),
    "hundreds of thousands": (200_000, 999_999),
    "millions": (2_000_000, 1_999_999_999),
}
# Number words that stand for one exact number.
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "half a dozen": 6, "a dozen": 12, "a score": 20, "a hundred": 100, "a thousand": 1_000,
    "a million": 1_000_000,
}
UNITS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}
CURRENCIES = "£$€"

_NUMBER = (r"(?P<cur>[£$€])?\s*(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
           r"\s*(?P<unit>k|m|bn|thousand|million|billion)?\b\s*(?P<pct>%)?")
_WORD = "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True))
AMOUNT = re.compile(rf"(?:{_NUMBER}|(?P<word>{_WORD}))")


@dataclass(frozen=True)
class Amount:
    """A number as printed: its value, and how it was written (for printing a new value alike)."""

    value: float
    text: str
    currency: str = ""
    unit: str = ""
    percent: bool = False
    decimals: int = 0
    commas: bool = False
    word: bool = False

    @property
    def half_step(self) -> float:
        """Half the last printed digit: '£1m' covers what rounds to it, '15' what rounds to 15."""
        if self.word:
            return 0.0
        return 0.5 * 10 ** -self.decimals * UNITS.get(self.unit, 1)

    @property
    def step(self) -> float:
        """The rounding step the report used: 40 -> 10, 200 -> 100, 12 -> 1, '£3m' -> 1m."""
        if self.unit or self.decimals:
            return 10 ** -self.decimals * UNITS.get(self.unit, 1)
        whole = int(self.value)
        zeros = len(str(whole)) - len(str(whole).rstrip("0")) if whole else 0
        return float(10 ** min(zeros, max(len(str(whole)) - 1, 0)))


def read_amount(text: str) -> Amount | None:
    """The number in a bit of printed text ('£3 million', '1,200', 'a dozen'), or None."""
    match = AMOUNT.fullmatch(text.strip())
    if not match:
        return None
    if match["word"]:
        return Amount(float(NUMBER_WORDS[match["word"]]), text.strip(), word=True)
    number = match["num"]
    unit = match["unit"] or ""
    value = float(number.replace(",", "")) * UNITS.get(unit, 1)
    decimals = len(number.split(".")[1]) if "." in number else 0
    return Amount(value, text.strip(), match["cur"] or "", unit, bool(match["pct"]), decimals, "," in number)


@dataclass(frozen=True)
class ClaimKind:
    """One kind of printed claim: how it is written, what interval it means, how to say it."""

    name: str
    pattern: str  # regex over the lower-cased text; groups 'phrase', 'a' (and 'b' for ranges)
    interval: Callable[[Amount, Amount | None, float], tuple[float, float, bool, bool]]
    meaning: str  # words, with {low} {high} filled in
    default_print: Callable[[str, Amount], str]  # the print template that reproduces this kind


def _exact(a, b, tol):
    return a.value - a.half_step, a.value + a.half_step, False, a.half_step > 0


def _fmt(a: Amount, kind: str, auto: bool = False) -> str:
    """A placeholder that prints a value written like `a`, rounded by `kind` (floor, below...):
    at the report's own step, or (auto) at two significant figures of the new value, which keeps
    'around' and 'nearly' true whatever the value's size."""
    if a.currency or a.unit:
        return "{money:" + (a.currency or "-") + "," + kind + "}"
    if a.percent:
        return "{percent:" + str(a.decimals) + "}"
    if auto:
        return "{" + kind + "}"
    step = a.step
    return "{" + kind + ":" + (str(int(step)) if step >= 1 else str(step)) + "}"


def _exact_print(phrase: str, a: Amount) -> str:
    if a.word:
        return "{value}"
    if a.currency or a.unit:
        return "{money:" + (a.currency or "-") + "}"
    if a.percent:
        return "{percent:" + str(a.decimals) + "}"
    return "{comma}" if a.commas else "{value}"


KINDS: dict[str, ClaimKind] = {k.name: k for k in (
    ClaimKind("more_than", r"(?P<phrase>more than|over|above|upwards of) (?P<a>.+)",
              lambda a, b, t: (a.value, math.inf, True, False),
              "a lower bound: the value must be above {low}",
              lambda p, a: f"{p} {_fmt(a, 'below')}"),
    ClaimKind("at_least", r"(?:(?P<phrase>at least|no fewer than|no less than|a minimum of) (?P<a>.+)"
              r"|(?P<a2>.+?)(?P<plus>\+| or more))",
              lambda a, b, t: (a.value, math.inf, False, False),
              "a lower bound: the value must be at least {low}",
              lambda p, a: (f"{p} {_fmt(a, 'floor')}" if p else _fmt(a, "floor") + "+")),
    ClaimKind("fewer_than", r"(?P<phrase>fewer than|less than|under|below) (?P<a>.+)",
              lambda a, b, t: (-math.inf, a.value, False, True),
              "an upper bound: the value must be below {high}",
              lambda p, a: f"{p} {_fmt(a, 'above')}"),
    ClaimKind("up_to", r"(?P<phrase>up to|at most|no more than|a maximum of) (?P<a>.+)",
              lambda a, b, t: (-math.inf, a.value, False, False),
              "an upper bound: the value must be at most {high}",
              lambda p, a: f"{p} {_fmt(a, 'ceil')}"),
    ClaimKind("approximate", r"(?P<phrase>around|about|approximately|roughly|some|circa|c\.|~) ?(?P<a>.+)",
              lambda a, b, t: (a.value * (1 - t), a.value * (1 + t), False, False),
              "approximate: the value must be within the tolerance, {low} to {high}",
              lambda p, a: f"{p} {_fmt(a, 'round', auto=True)}"),
    ClaimKind("nearly", r"(?P<phrase>nearly|almost|just under|close to) (?P<a>.+)",
              lambda a, b, t: (a.value * (1 - t), a.value, False, True),
              "approximate from below: the value must be from {low} up to, not including, {high}",
              lambda p, a: f"{p} {_fmt(a, 'above', auto=True)}"),
    ClaimKind("range", r"(?:between (?P<a>.+?) and (?P<b>.+)|(?P<a3>.+?) ?(?:-|to) ?(?P<b3>.+))",
              lambda a, b, t: (a.value, b.value, False, False),
              "a range: the value must be from {low} to {high}",
              lambda p, a: "between " + _fmt(a, "floor") + " and " + _fmt(a, "above")),
    ClaimKind("scale", "(?P<word>" + "|".join(sorted(map(re.escape, WORD_SCALES), key=len, reverse=True)) + ")",
              lambda a, b, t: (*a, False, False),
              "a word scale: the value must be from {low} to {high}",
              lambda p, a: "{scale}"),
    ClaimKind("exact", r"(?P<a>.+)", _exact,
              "exact as printed: the value must round to the printed number ({low} to {high})",
              _exact_print),
)}


class ClaimError(ValueError):
    """The printed text cannot be read as a claim."""


@dataclass(frozen=True)
class Claim:
    """A printed statement about a number, as an interval the value must fall in."""

    text: str
    kind: str
    low: float
    high: float
    low_open: bool = False
    high_open: bool = False
    print_template: str = "{value}"  # prints a new value the way the report printed this one

    def holds(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return bool(above and below)

    def words(self) -> str:
        return KINDS[self.kind].meaning.format(low=_show(self.low), high=_show(self.high))

    def to_dict(self) -> dict:
        return {"text": self.text, "kind": self.kind, "meaning": self.words()}


def _show(x: float) -> str:
    if math.isinf(x):
        return "infinity" if x > 0 else "minus infinity"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.4g}"


def parse_claim(text: str, tolerance: float = DEFAULT_TOLERANCE) -> Claim:
    """Read printed text as a claim; ClaimError says what would be understood instead."""
    said = " ".join(str(text).strip().lower().replace("–", "-").replace("—", "-").split())
    if said.endswith(" of"):
        said = said[:-3]  # "dozens of" -> "dozens"
    for kind in KINDS.values():
        match = re.fullmatch(kind.pattern, said)
        if not match:
            continue
        groups = {k: v for k, v in match.groupdict().items() if v is not None}
        if kind.name == "scale":
            low, high = WORD_SCALES[groups["word"]]
            return Claim(str(text), "scale", low, high, print_template="{scale}")
        a = read_amount(groups.get("a") or groups.get("a2") or groups.get("a3") or "")
        b = read_amount(groups.get("b") or groups.get("b3") or "") if kind.name == "range" else None
        if a is None or (kind.name == "range" and b is None):
            continue
        if kind.name == "range" and b.value < a.value:
            raise ClaimError(f"'{text}': a range must go from low to high")
        low, high, low_open, high_open = kind.interval(a, b, tolerance)
        phrase = groups.get("phrase", "")
        if kind.name == "at_least" and "plus" in groups and groups["plus"] != "+":
            phrase = ""
        template = kind.default_print(phrase, a)
        if kind.name == "at_least" and groups.get("plus") == " or more":
            template = template.removesuffix("+") + " or more"
        return Claim(str(text), kind.name, low, high, low_open, high_open, template)
    raise ClaimError(f"cannot read {text!r} as a printed figure: write it as the report printed it, "
                     "e.g. '15', '£1m', 'more than 40', '50+', 'up to 200', 'around 200', "
                     "'between 20 and 30', 'dozens'")
