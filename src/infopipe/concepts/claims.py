"""What a report printed, read as a claim the computed value must satisfy.

"15", "£1m", "more than 40", "50+", "up to 200", "approx. 200", "nearly £3 million", "between 20 and
30", "a dozen", "three languages", "a third", "one in four", "dozens": each is one claim kind with its
numeric meaning and its words, declared once in KINDS; the phrases that mark each kind are a table
per language (`words.py`). A claim is an interval; `holds(value)` is membership.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Callable

from infopipe.concepts.words import (DEFAULT_LOCALE, ENGLISH, LANGUAGES, Language, dozen_words, language,
                                     number_words)

DEFAULT_TOLERANCE = 0.1  # "around 200" means within 10% unless the spec says otherwise
WORD_SCALES = ENGLISH.scales  # English word scales; other languages' are in words.py
CURRENCIES = "£$€"


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
    word: bool = False  # "two", "a dozen", "a third"
    fraction: bool = False  # "a third", "one in four": a percentage, in words
    dozen: bool = False  # "a dozen", "two dozen": printed again in dozens
    ordinal: bool = False  # "23rd"
    one_in: bool = False  # "one in four" (not "a quarter")
    units: tuple = ()  # the language's units, for half_step and step

    @property
    def half_step(self) -> float:
        """Half the last printed digit: '£1m' covers what rounds to it, '15' what rounds to 15;
        a fraction in words covers what rounds to it in whole percent."""
        if self.fraction:
            return 0.5
        if self.word:
            return 0.0
        return 0.5 * 10 ** -self.decimals * dict(self.units).get(self.unit, 1)

    @property
    def step(self) -> float:
        """The rounding step the report used: 40 -> 10, 200 -> 100, 12 -> 1, '£3m' -> 1m, a dozen -> 12."""
        if self.dozen:
            return 12.0 if self.value >= 12 else 6.0
        if self.word:
            return 1.0
        if self.unit or self.decimals:
            return 10 ** -self.decimals * dict(self.units).get(self.unit, 1)
        whole = int(self.value)
        zeros = len(str(whole)) - len(str(whole).rstrip("0")) if whole else 0
        return float(10 ** min(zeros, max(len(str(whole)) - 1, 0)))


def _alternation(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


@functools.lru_cache(maxsize=None)
def _separators(code: str) -> tuple[str, str]:
    """The group and decimal symbols of the language (Babel); a space-like group is read as a space."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    group, decimal = get_group_symbol(code), get_decimal_symbol(code)
    return (" " if group.isspace() else group), decimal


@functools.lru_cache(maxsize=None)
def _amount_pattern(code: str) -> re.Pattern:
    lang = LANGUAGES[code]
    group, decimal = map(re.escape, _separators(code))
    number = rf"\d{{1,3}}(?:{group}\d{{3}})+(?:{decimal}\d+)?|\d+(?:{decimal}\d+)?"
    words = number_words(code)
    spelt = _alternation(words)
    one_in = rf"(?P<n>{spelt}|\d+) {re.escape(lang.one_in)} (?P<d>{spelt}|\d+)"
    return re.compile(
        rf"(?P<sign>-)?(?P<cur>[{CURRENCIES}])?\s*(?P<sign2>-)?(?P<num>{number})(?P<ord>{_alternation(lang.ordinal_suffixes)})?"
        rf"(?:\s*(?P<unit>{_alternation(lang.units)})\b)?\s*(?P<cur2>[{CURRENCIES}])?\s*(?P<pct>%)?"
        rf"|(?P<fraction>{_alternation(lang.fractions)})|{one_in}|(?P<word>{spelt})")


def _spoken(text: str, code: str) -> float:
    return float(text) if text.isdigit() else number_words(code)[text]


def read_amount(text: str, code: str = "en") -> Amount | None:
    """The number in a bit of printed text ('£3 million', '1,200', 'a dozen', 'a third'), or None."""
    lang = LANGUAGES[code]
    text = text.strip()
    match = _amount_pattern(code).fullmatch(text)
    if not match:
        return None
    if match["fraction"]:
        return Amount(lang.fractions[match["fraction"]], text, percent=True, word=True, fraction=True)
    if match["n"]:
        n, d = _spoken(match["n"], code), _spoken(match["d"], code)
        if not 0 < n <= d:
            return None
        return Amount(100 * n / d, text, percent=True, word=True, fraction=True, one_in=True)
    if match["word"]:
        return Amount(number_words(code)[match["word"]], text, word=True,
                      dozen=match["word"] in dozen_words(code))
    if (match["cur"] and match["cur2"]) or (match["sign"] and match["sign2"]):
        return None
    group, decimal = _separators(code)
    number, unit = match["num"], match["unit"] or ""
    plain = number.replace(group, "").replace(decimal, ".")
    value = float(plain) * lang.units.get(unit, 1) * (-1 if match["sign"] or match["sign2"] else 1)
    decimals = len(plain.split(".")[1]) if "." in plain else 0
    return Amount(value, text, match["cur"] or match["cur2"] or "", unit, bool(match["pct"]), decimals,
                  group in number, ordinal=bool(match["ord"]), units=tuple(lang.units.items()))


@dataclass(frozen=True)
class ClaimKind:
    """One kind of printed claim: what interval it means, how to say it, how to print it again."""

    name: str
    interval: Callable[[Amount, Amount | None, float], tuple[float, float, bool, bool]]
    meaning: str  # words, with {low} {high} filled in
    rounding: str = ""  # the placeholder rounding that keeps a bound true ("below" for "more than")
    auto: bool = False  # round at two significant figures of the new value, not the report's step


def _exact(a, b, tol):
    return a.value - a.half_step, a.value + a.half_step, False, a.half_step > 0


KINDS: dict[str, ClaimKind] = {k.name: k for k in (
    ClaimKind("more_than", lambda a, b, t: (a.value, math.inf, True, False),
              "a lower bound: the value must be above {low}", "below"),
    ClaimKind("at_least", lambda a, b, t: (a.value, math.inf, False, False),
              "a lower bound: the value must be at least {low}", "floor"),
    ClaimKind("fewer_than", lambda a, b, t: (-math.inf, a.value, False, True),
              "an upper bound: the value must be below {high}", "above"),
    ClaimKind("up_to", lambda a, b, t: (-math.inf, a.value, False, False),
              "an upper bound: the value must be at most {high}", "ceil"),
    ClaimKind("approximate", lambda a, b, t: (a.value * (1 - t), a.value * (1 + t), False, False),
              "approximate: the value must be within the tolerance, {low} to {high}", "round", auto=True),
    ClaimKind("nearly", lambda a, b, t: (a.value * (1 - t), a.value, False, True),
              "approximate from below: the value must be from {low} up to, not including, {high}",
              "above", auto=True),
    ClaimKind("range", lambda a, b, t: (a.value, b.value, False, False),
              "a range: the value must be from {low} to {high}"),
    ClaimKind("scale", lambda a, b, t: (*a, False, False),
              "a word scale: the value must be from {low} to {high}"),
    ClaimKind("exact", _exact,
              "exact as printed: the value must round to the printed number ({low} to {high})"),
)}
BOUNDS = tuple(name for name, kind in KINDS.items() if kind.rounding)


def _fmt(a: Amount, rounding: str, auto: bool = False) -> str:
    """A placeholder that prints a value written like `a`, rounded by `rounding` (floor, below...):
    at the report's own step, or (auto) at two significant figures of the new value, which keeps
    'around' and 'nearly' true whatever the value's size."""
    if a.fraction:
        return "{fraction:in}" if a.one_in else "{fraction}"
    if a.word:
        return "{words:" + rounding + (",12" if a.dozen and a.step == 12 else ",6" if a.dozen else "") + "}"
    if a.currency or a.unit:
        return "{money:" + (a.currency or "-") + "," + rounding + "}"
    if a.percent:
        return "{percent:" + str(a.decimals) + "}"
    if auto:
        return "{" + rounding + "}"
    step = a.step
    return "{" + rounding + ":" + (str(int(step)) if step >= 1 else str(step)) + "}"


def _exact_print(a: Amount) -> str:
    if a.fraction:
        return "{fraction:in}" if a.one_in else "{fraction}"
    if a.word:
        return "{words:round," + str(int(a.step)) + "}" if a.dozen else "{words}"
    if a.ordinal:
        return "{ordinal}"
    if a.currency or a.unit:
        return "{money:" + (a.currency or "-") + "}"
    if a.percent:
        return "{percent:" + str(a.decimals) + "}"
    return "{comma}" if a.commas else "{value}"


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


@functools.lru_cache(maxsize=None)
def kind_patterns(code: str) -> tuple[tuple[str, re.Pattern], ...]:
    """Each claim kind's pattern in one language, in the order they are tried."""
    lang = LANGUAGES[code]

    def before(phrases):  # a word phrase takes a space after it; "~" and "c." need none
        return "|".join(re.escape(p) + (" " if p[-1].isalpha() else " ?")
                        for p in sorted(phrases, key=len, reverse=True))

    def after(phrases):
        return "|".join((" " if p[0].isalpha() else " ?") + re.escape(p)
                        for p in sorted(phrases, key=len, reverse=True))

    out = []
    for name in BOUNDS:
        forms = [f"(?P<phrase>{before(lang.before[name])})(?P<a>.+)"] if lang.before.get(name) else []
        if lang.after.get(name):
            forms.append(f"(?P<a2>.+?)(?P<after>{after(lang.after[name])})")
        out.append((name, re.compile("|".join(forms))))
    first, then = map(re.escape, lang.between)
    dashes = "|".join(f" {re.escape(w)} " if w[0].isalpha() else f" ?{re.escape(w)} ?" for w in lang.range_words)
    out.append(("range", re.compile(f"{first} (?P<a>.+?) {then} (?P<b>.+)|(?P<a3>.+?)(?:{dashes})(?P<b3>.+)")))
    out.append(("scale", re.compile(f"(?P<word>{_alternation(lang.scales)})")))
    out.append(("exact", re.compile("(?P<a>.+)")))
    return tuple(out)


def _normalise(text: str) -> str:
    return " ".join(str(text).strip().lower().replace("–", "-").replace("—", "-").replace("’", "'").split())


def _read(said: str, lang: Language, tolerance: float) -> tuple[str, float, float, bool, bool, str] | None:
    """(kind, low, high, low open, high open, print template) for text in one language, or None."""
    whole = read_amount(said, lang.code)
    for name, pattern in kind_patterns(lang.code):
        match = pattern.fullmatch(said)
        if not match:
            continue
        groups = {k: v for k, v in match.groupdict().items() if v is not None}
        kind = KINDS[name]
        if name == "scale":
            low, high = lang.scales[groups["word"]]
            return name, low, high, False, False, "{scale}"
        if name == "range" and whole is not None:
            continue  # "twenty-one" is one number, not a range
        a = read_amount(groups.get("a") or groups.get("a2") or groups.get("a3") or "", lang.code)
        b = read_amount(groups.get("b") or groups.get("b3") or "", lang.code) if name == "range" else None
        if a is None or (name == "range" and (b is None or b.value < a.value)):
            if name == "range" and b is not None and a is not None:
                raise ClaimError(f"'{said}': a range must go from low to high")
            continue
        low, high, low_open, high_open = kind.interval(a, b, tolerance)
        if name == "exact":
            template = _exact_print(a)
        elif name == "range":
            template = f"{lang.between[0]} {_fmt(a, 'floor')} {lang.between[1]} {_fmt(a, 'above')}"
        elif "after" in groups:
            template = _fmt(a, kind.rounding, kind.auto) + groups["after"]
        else:
            template = groups["phrase"] + _fmt(a, kind.rounding, kind.auto)
        return name, low, high, low_open, high_open, template
    return None


def _signed(said: str, lang: Language) -> tuple[int, str] | None:
    """A change said with its direction: (+1 or -1, the rest) for "up 196%", "down 12%", "↑ 5%";
    (0, "") for "unchanged"; None for anything else."""
    if lang.unchanged and said == lang.unchanged:
        return 0, ""
    for sign, phrases in ((1, lang.up), (-1, lang.down)):
        for phrase in sorted(phrases, key=len, reverse=True):
            joiner = " " if phrase[-1].isalpha() else ""
            if said.startswith(phrase + joiner) or (not joiner and said.startswith(phrase + " ")):
                rest = said[len(phrase):].strip()
                if rest.endswith("%") or rest.endswith(" %"):
                    return sign, rest
    return None


def _change_claim(text: str, signed: tuple[int, str], tolerance: float, locale: str) -> Claim:
    """A change claim: the percentage with its direction ("down 12%" is -12%, read at its precision
    or with its hedge: "up more than 190%"); printed again by {change} from the value's sign."""
    sign, rest = signed
    if sign == 0:
        return Claim(text, "exact", -0.5, 0.5, False, True, "{change:0}")
    inner = parse_claim(rest, tolerance, locale)
    decimals = len(rest.split(".")[1].rstrip(" %")) if "." in rest else 0
    low, high, low_open, high_open = inner.low, inner.high, inner.low_open, inner.high_open
    if sign < 0:
        low, high, low_open, high_open = -high, -low, high_open, low_open
    return Claim(text, inner.kind, low, high, low_open, high_open, "{change:" + str(decimals) + "}")


@functools.lru_cache(maxsize=None)
def _unsayable(code: str) -> frozenset[str]:
    """Words never dropped from a claim's end as what is counted: any word of a hedge, a number
    word, a fraction, a scale or a unit ("15 or so", "0 and two" must not read as 15 and 0)."""
    lang = LANGUAGES[code]
    phrases = [p for ps in (*lang.before.values(), *lang.after.values()) for p in ps]
    phrases += [*number_words(code), *lang.fractions, *lang.scales, *lang.units, *lang.between, *lang.range_words]
    return frozenset(w for p in phrases for w in re.split(r"[\s-]+", p))


def parse_claim(text: str, tolerance: float = DEFAULT_TOLERANCE, locale: str = DEFAULT_LOCALE,
                dates: bool = False, nouns: bool = False) -> Claim:
    """Read printed text as a claim in the locale's language; ClaimError says what would be
    understood instead. `nouns` (what `published` may say): words after the number that say what
    is counted ("three languages") are kept for printing but carry no number; a hedge word is
    never dropped. `dates`: the figure is a date or a date range ("since 2015", "4–9 May 2021"),
    read by dates.py."""
    if dates:
        from infopipe.concepts.dates import DateClaimError, parse_date_claim

        try:
            return parse_date_claim(text, locale)
        except DateClaimError as err:
            raise ClaimError(str(err)) from None
    lang = language(locale)
    said = _normalise(text)
    signed = _signed(said, lang)
    if signed is not None:
        return _change_claim(str(text), signed, tolerance, locale)
    original = str(text).split()
    words = said.split(" ")
    hedges = _unsayable(lang.code)
    for dropped in range(0, min(4, len(words)) if nouns else 1):
        if dropped and (not words[-dropped].isalpha() or words[-dropped] in hedges):
            break
        kept = " ".join(words[:len(words) - dropped])
        for word in lang.trailing:
            kept = kept.removesuffix(" " + word)  # "dozens of" -> "dozens"
        read = _read(kept, lang, tolerance)
        if read:
            name, low, high, low_open, high_open, template = read
            if dropped:
                template += " " + " ".join(original[-dropped:])
            return Claim(str(text), name, low, high, low_open, high_open, template)
    raise ClaimError(f"cannot read {text!r} as a printed figure: write it as the report printed it, "
                     "e.g. '15', '£1m', 'more than 40', '50+', 'up to 200', 'around 200', "
                     "'between 20 and 30', 'dozens'")

