"""Print templates: the text a figure prints, generated from its value, so next year's data prints
"more than 70" without an edit.

A template is text with placeholders: "more than {below:10}", "around {round}", "{money:£}",
"{comma} visitors", "{percent:1}", "{ordinal}", "{scale}", "at least {words:floor,12}",
"{fraction}". Each placeholder is one entry in FORMATS with its words; adding one is one entry
here. Separators, decimal marks, percent signs and currency placement follow the spec's locale
through Babel; the rounding (which keeps a bound true) is infopipe's own. A step placeholder
without a step ({round}) rounds to two significant figures of the value.

`check_printed` reads every printed text back as a claim and says whether it holds for the value:
nothing is printed unchecked (a text it cannot read is refused with `UncheckedPrint`).
"""

from __future__ import annotations

import decimal
import functools
import math
import re
from dataclasses import dataclass
from typing import Callable

from infopipe.concepts.claims import ClaimError, parse_claim
from infopipe.concepts.dates import DATE_FORMATS, format_date, format_dates, is_date
from infopipe.concepts.words import DEFAULT_LOCALE, LANGUAGES, language, number_words, spell

PLACEHOLDER = re.compile(r"\{([a-z]+)(?::([^{}]*))?\}")


class FormatError(ValueError):
    """A template that names an unknown placeholder, or an argument it cannot use."""


class UncheckedPrint(FormatError):
    """A printed text the claim reader cannot read back, so it cannot be checked against the value."""


def _step(arg: str, value: float = 1.0) -> float:
    """The step named by the argument; none means two significant figures of the value."""
    if not arg:
        return 10.0 ** (math.floor(math.log10(abs(value))) - 1) if value else 1.0
    try:
        step = float(arg)
    except ValueError:
        raise FormatError(f"the step {arg!r} is not a number") from None
    if not step > 0 or math.isinf(step):
        raise FormatError(f"the step {arg!r} must be a positive number")
    return step


def _babel(pattern: str, x: float, locale: str, percent: bool = False) -> str:
    """A number in the locale's symbols by a CLDR pattern, rounding half up (as a reader of the
    printed text reads it: 2.5 printed as 3 covers [2.5, 3.5)), not Babel's default half-even."""
    from babel.numbers import format_decimal, format_percent

    with decimal.localcontext(rounding=decimal.ROUND_HALF_UP):
        return (format_percent if percent else format_decimal)(x, format=pattern, locale=locale)


def _number(x: float, locale: str) -> str:
    """Thousands separators; decimals only when the number has them (at most two)."""
    return _babel("#,##0.##", x, locale)


def _plain(x: float, locale: str) -> str:
    return _babel("0.##", x, locale)


def _rounded(x: float, locale: str) -> str:
    """A rounded number as reports print them: 2000 and 40 plain, separators from 10,000 up."""
    return _number(x, locale) if abs(x) >= 10_000 else _plain(x, locale)


def _trim(x: float, locale: str) -> str:
    """One decimal at most, and none when it is zero: 1.0 -> '1', 1.25 -> '1.3'."""
    return _babel("0.#", x, locale)


def _half_up(x: float) -> int:
    """Round half up (2.5 -> 3): what a reader of '3' takes it to cover, [2.5, 3.5)."""
    return math.floor(x + 0.5)


ROUNDING = {"floor": math.floor, "ceil": math.ceil, "round": _half_up,
            "below": lambda x: math.ceil(x) - 1, "above": lambda x: math.floor(x) + 1}


@functools.lru_cache(maxsize=None)
def _symbol_first(locale: str) -> bool:
    """Whether the locale writes the currency symbol before the amount (£1m) or after (1 M€)."""
    from babel import Locale

    return Locale.parse(locale).currency_formats["standard"].pattern.startswith("¤")


def _money(value: float, arg: str, locale: str) -> str:
    """'£' prints £1.2m; '£,above' rounds up at the printed precision (for 'nearly £3m')."""
    currency, _, mode = arg.partition(",")
    currency = "" if currency == "-" else currency
    rounding = ROUNDING.get(mode or "round")
    if rounding is None:
        raise FormatError(f"money rounding {mode!r}: use one of {', '.join(ROUNDING)}")
    sign = "-" if value < 0 else ""
    number, suffix = _number(round(rounding(abs(value) * 10) / 10, 1), locale), ""
    for size, unit in language(locale).unit_print:
        if abs(value) >= size * 0.9995:
            number, suffix = _trim(rounding(abs(value) / size * 10) / 10, locale), unit
            break
    if _symbol_first(locale) or not currency:
        return f"{sign}{currency}{number}{suffix}"
    return f"{sign}{number}\u00a0{suffix}{currency}"


def _percent(value: float, arg: str, locale: str) -> str:
    """The locale's percent pattern (45%, 45 %) with the given decimals."""
    from babel import Locale

    decimals = int(arg or 0)
    pattern = Locale.parse(locale).percent_formats[None].pattern
    if decimals:
        pattern = re.sub(r"0(?=[^0#]*%)", "0." + "0" * decimals, pattern, count=1)
    return _babel(pattern, value / 100, locale, percent=True)


def _change(value: float, arg: str, locale: str) -> str:
    """A percentage change with its direction in words or an arrow: 'up 196%', 'down 12%',
    'unchanged' (nothing at the printed precision); 'D,arrow' prints '↑ 196%'."""
    decimals, _, style = arg.partition(",")
    if style not in ("", "arrow"):
        raise FormatError(f"{{change:{arg}}}: write {{change:DECIMALS}} or {{change:DECIMALS,arrow}}")
    lang = language(locale)
    shown = _percent(abs(value), decimals, locale)
    if float(re.sub(r"[^0-9.]", "", shown.replace(",", "."))) == 0:
        return lang.unchanged
    words = lang.up if value > 0 else lang.down
    phrase = next((w for w in words if (w in "↑↓") == (style == "arrow")), words[0])
    return f"{phrase} {shown}"


def _ordinal(value: float, locale: str) -> str:
    from num2words import num2words

    return num2words(int(round(value)), to="ordinal_num", lang=language(locale).code)


def _scale(value: float, locale: str) -> str:
    lang = language(locale)
    for word in lang.scale_preference:
        low, high = lang.scales[word]
        if low <= value <= high:
            return word
    raise FormatError(f"no word scale covers {_number(value, locale)}; word scales: "
                      + ", ".join(f"{w} ({lo:,.0f}-{hi:,.0f})" for w, (lo, hi) in lang.scales.items()))


def _words_argument(arg: str) -> tuple[Callable, float]:
    """'floor,12' -> (math.floor, 12.0); '' -> exact; a bare step rounds to the nearest."""
    mode, _, step = arg.rpartition(",") if "," in arg else ("", "", arg) if arg[:1].isdigit() else (arg, "", "")
    if mode and mode not in ROUNDING:
        raise FormatError(f"words rounding {mode!r}: use one of {', '.join(ROUNDING)}")
    return ROUNDING[mode or "round"], _step(step) if step else 1.0


def _words(value: float, arg: str, locale: str) -> str:
    """The value in words (num2words): 'two', 'twenty-one'; in dozens when the step is 6 or 12
    ('a dozen', 'two dozen'); figures above the language's words_up_to (101 -> '101')."""
    rounding, step = _words_argument(arg)
    lang = language(locale)
    n = rounding(value / step) * step
    if n < 0 or not float(n).is_integer():
        return _plain(n, locale)
    n = int(n)
    if step in (6, 12) and n:
        half, one, many = lang.dozen
        if n == 6:
            return half
        if n % 12 == 0 and n <= 144:
            return one if n == 12 else many.format(n=spell(n // 12, lang.code))
    return spell(n, lang.code) if n <= lang.words_up_to else _number(n, locale)


def _fraction(value: float, arg: str, locale: str) -> str:
    """The nearest simple fraction of a percentage in words: 'a third', or with 'in', 'one in three'."""
    if arg not in ("", "in"):
        raise FormatError(f"{{fraction:{arg}}}: the argument is 'in' ('one in four') or none ('a quarter')")
    lang = language(locale)
    named = {round(v, 6): k for k, v in reversed(list(lang.fractions.items()))}
    best = min(((n, d) for d in range(2, 11) for n in range(1, d)), key=lambda nd: abs(100 * nd[0] / nd[1] - value))
    share = round(100 * best[0] / best[1], 6)
    if share in named and not arg:
        return named[share]
    g = math.gcd(*best)
    return f"{spell(best[0] // g, lang.code)} {lang.one_in} {spell(best[1] // g, lang.code)}"


def _below(value: float, step: float) -> float:
    """The largest multiple of step strictly below value: 'more than' stays true at 40."""
    return (math.ceil(value / step) - 1) * step


def _above(value: float, step: float) -> float:
    """The smallest multiple of step strictly above value: 'fewer than' stays true at 10."""
    return (math.floor(value / step) + 1) * step


@dataclass(frozen=True)
class Format:
    """One placeholder: its argument's meaning, how it prints a value (in a locale), and its words."""

    name: str
    argument: str  # "" for none, else what the argument is
    apply: Callable[[float, str, str], str]
    words: str


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("value", "", lambda v, a, loc: _plain(v, loc), "the value as it is (15, 2.5)"),
    Format("comma", "", lambda v, a, loc: _number(v, loc), "the value with thousands separators (1,234)"),
    Format("floor", "step", lambda v, a, loc: _rounded(math.floor(v / _step(a, v)) * _step(a, v), loc),
           "rounded down to a multiple of the step (43 -> 40 with {floor:10})"),
    Format("ceil", "step", lambda v, a, loc: _rounded(math.ceil(v / _step(a, v)) * _step(a, v), loc),
           "rounded up to a multiple of the step"),
    Format("round", "step", lambda v, a, loc: _rounded(_half_up(v / _step(a, v)) * _step(a, v), loc),
           "rounded to the nearest multiple of the step"),
    Format("below", "step", lambda v, a, loc: _rounded(_below(v, _step(a, v)), loc),
           "the largest multiple of the step strictly below the value (40 -> 30, 43 -> 40): "
           "for 'more than'"),
    Format("above", "step", lambda v, a, loc: _rounded(_above(v, _step(a, v)), loc),
           "the smallest multiple of the step strictly above the value: for 'fewer than'"),
    Format("money", "currency", lambda v, a, loc: _money(v, a or "£", loc),
           "money in k/m/bn with one decimal at most (£1m, £250k, £1.2bn; 1,2 M€ in French); '-' for "
           "no symbol; '£,above' (or floor, ceil, below) rounds that way at the printed precision"),
    Format("percent", "decimals", lambda v, a, loc: _percent(v, a, loc),
           "a percentage with the given decimals (45%; 45 % in French)"),
    Format("ordinal", "", lambda v, a, loc: _ordinal(v, loc), "an ordinal (1st, 2nd, 23rd)"),
    Format("change", "decimals", lambda v, a, loc: _change(v, a, loc),
           "a percentage change with its direction from the sign: 'up 196%', 'down 12%', 'unchanged'; "
           "{change:0,arrow} prints '↑ 196%' (a change rule)"),
    Format("scale", "", lambda v, a, loc: _scale(v, loc), "the word scale covering the value (dozens, hundreds)"),
    Format("words", "rounding,step", lambda v, a, loc: _words(v, a, loc),
           "the value in words (two, twenty-one; figures above 100); a rounding and step as in floor: "
           "{words:floor,12} prints 14 as 'a dozen', 30 as 'two dozen'"),
    Format("date", "skeleton", lambda v, a, loc: format_date(v, a, loc),
           "a date in the locale's words at a CLDR skeleton's precision: {date} 30 June 2024, "
           "{date:yMMMM} June 2024, {date:y} 2024 (with 'since', 'as of' before it as written)"),
    Format("dates", "skeleton", lambda v, a, loc: format_dates(v, a, loc),
           "a date range (a date_range rule) in the locale's words: {dates} 4–9 May 2021, "
           "{dates:y} 2019–2023"),
    Format("fraction", "in", lambda v, a, loc: _fraction(v, a, loc),
           "a percentage as the nearest simple fraction (a third, three quarters); {fraction:in} says "
           "it as 'one in four', 'two in five': for share rules"),
)}


def check_template(template: str) -> None:
    """Raise FormatError naming the first unknown placeholder or bad argument."""
    for name, arg in PLACEHOLDER.findall(template):
        if name not in FORMATS:
            raise FormatError(f"unknown placeholder {{{name}}}; known: {', '.join(FORMATS)}")
        fmt = FORMATS[name]
        if fmt.argument == "step" and arg:
            _step(arg)
        elif name == "money":
            _money(1.0, arg or "£", DEFAULT_LOCALE)
        elif name == "words":
            _words_argument(arg)
        elif name == "fraction":
            _fraction(50.0, arg, DEFAULT_LOCALE)
        elif fmt.argument == "skeleton" and arg and not re.fullmatch(r"[GyMLdEc]+", arg):
            raise FormatError(f"{{{name}:{arg}}}: a date skeleton is CLDR letters such as yMMMMd, yMMMM, y")
        elif name == "change":
            _change(1.0, arg if arg.partition(",")[0].isdigit() else "0," + arg.partition(",")[2], DEFAULT_LOCALE)
            if arg and not (arg.partition(",")[0].isdigit() and int(arg.partition(",")[0]) <= 6):
                raise FormatError(f"{{change:{arg}}}: decimals must be a whole number from 0 to 6")
        elif fmt.argument == "decimals" and arg and not (arg.isdigit() and int(arg) <= 6):
            raise FormatError(f"{{{name}:{arg}}}: decimals must be a whole number from 0 to 6")
        elif fmt.argument == "" and arg:
            raise FormatError(f"{{{name}}} takes no argument")
    if "{" in PLACEHOLDER.sub("", template) or "}" in PLACEHOLDER.sub("", template):
        raise FormatError("a '{' or '}' that is not part of a placeholder like {value}")


def render_template(template: str, value, locale: str = DEFAULT_LOCALE) -> str:
    """The printed text for a value (a number, a date, or a date range)."""
    return PLACEHOLDER.sub(lambda m: _apply(m.group(1), value, m.group(2) or "", locale), template)


def _apply(name: str, value, arg: str, locale: str) -> str:
    if (name in DATE_FORMATS) != is_date(value):
        raise FormatError(f"{{{name}}} cannot print {value!r}: a date prints with {{date}}, a date range "
                          "with {dates}, a number with the others")
    try:
        return FORMATS[name].apply(value, arg, locale)
    except ValueError as err:
        raise FormatError(str(err)) from None


# ---------------------------------------------------------------- reading the printed text back

def _cuts(text: str, from_end: bool) -> list[str]:
    """The pieces of `text` at word boundaries nearest the placeholder, longest first:
    'work in ' -> 'work in ', 'in ', '' (from_end); ' or more' -> ' or more', ' or', ''."""
    bounds = [m.start() for m in re.finditer(r"(?<=\s)\S|^", text)] + [len(text)] if from_end else \
        [m.end() for m in re.finditer(r"\S(?=\s|$)", text)] + [0]
    pieces = [text[b:] for b in bounds] if from_end else [text[:b] for b in bounds]
    return sorted(set(pieces), key=len, reverse=True)


@functools.lru_cache(maxsize=None)
def _numberish(code: str) -> re.Pattern:
    """Text that states a number or a hedge: digits, currency, %, number words, hedge phrases."""
    lang = LANGUAGES[code]
    words = set(number_words(code)) | set(lang.fractions) | set(lang.scales)
    words |= {p for phrases in (*lang.before.values(), *lang.after.values()) for p in phrases}
    alternation = "|".join(sorted(map(re.escape, words), key=len, reverse=True))
    return re.compile(rf"[0-9£$€%~+]|(?<![\w'])(?:{alternation})(?![\w'])")


def stray_claims(text: str, locale: str = DEFAULT_LOCALE) -> str:
    """The first number, number word or hedge in words typed around a printed figure ("" if none):
    nothing would check it."""
    found = _numberish(language(locale).code).search(text.lower())
    return found.group(0) if found else ""


def check_printed(template: str, value: float, tolerance: float, locale: str = DEFAULT_LOCALE) -> bool:
    """Whether the text `template` prints for `value` is true of it, read back as claims.

    Each placeholder's text, with the words around it that make it a claim ("more than", "+",
    "approx."), is read as a claim and must hold; any number, number word or hedge left outside
    those claims (a typed "approx. 900", "nearly all") raises UncheckedPrint: it cannot be checked.
    """
    pieces = PLACEHOLDER.split(template)  # literal, name, arg, literal, name, arg, ..., literal
    literals = pieces[0::3]
    outputs = [_apply(n, value, a or "", locale) for n, a in zip(pieces[1::3], pieces[2::3])]
    dates = is_date(value)
    if not outputs:
        return _read(template, template, tolerance, locale, dates).holds(value)
    code = language(locale).code
    holds, leftover, used_left, i = True, [literals[0]], "", 0
    while i < len(outputs):
        before = literals[i][len(used_left):] if i else literals[i]
        claim = None
        for j in range(len(outputs) - 1, i - 1, -1):  # one claim may span placeholders: "between {a} and {b}"
            said = "".join(outputs[k] + (literals[k + 1] if k < j else "") for k in range(i, j + 1))
            claim, left, right = _claim_around(before, said, literals[j + 1], tolerance, locale, dates)
            if claim is not None:
                break
        if claim is None:
            raise UncheckedPrint(f"cannot check the print text {template!r}: "
                                 f"{outputs[i]!r} does not read as a number")
        holds = holds and claim.holds(value)
        leftover[-1] = before[:len(before) - len(left)]
        leftover.append(literals[j + 1][len(right):])
        used_left, i = right, j + 1
    stray = [m.group(0) for text in leftover for m in _numberish(code).finditer(text.lower())]
    if stray:
        raise UncheckedPrint(f"cannot check the print text {template!r}: "
                             f"{stray[0]!r} is outside every placeholder, so nothing checks it; "
                             "print the number from the value with a placeholder (e.g. {round:100})")
    return holds


def _claim_around(before: str, said: str, after: str, tolerance: float, locale: str, dates: bool):
    """The longest claim made of `said` and the words next to it: (claim, left words, right words)."""
    for left in _cuts(before, from_end=True):
        for right in _cuts(after, from_end=False):
            try:
                return parse_claim(left + said + right, tolerance, locale, dates), left, right
            except ClaimError:
                continue
    return None, "", ""


def _read(text: str, template: str, tolerance: float, locale: str, dates: bool = False):
    try:
        return parse_claim(text, tolerance, locale, dates)
    except ClaimError:
        raise UncheckedPrint(f"cannot check the print text {template!r}: it names no placeholder and "
                             "does not read as a claim; print the number from the value, e.g. "
                             "'around {round:100}'") from None
