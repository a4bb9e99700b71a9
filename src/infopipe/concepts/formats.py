"""Print templates: the text a figure prints, generated from its value, so next year's data prints
"more than 70" without an edit.

A step placeholder without a step ({round}) rounds to two significant figures of the value.
A template is text with placeholders: "more than {below:10}", "around {round}", "{money:£}", "{comma} visitors",
"{percent:1}", "{ordinal}", "{scale}". Each placeholder is one entry in FORMATS with its words;
adding one is one entry here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

from infopipe.concepts.claims import WORD_SCALES

PLACEHOLDER = re.compile(r"\{([a-z]+)(?::([^{}]*))?\}")


class FormatError(ValueError):
    """A template that names an unknown placeholder, or an argument it cannot use."""


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


def _number(x: float) -> str:
    """Thousands separators; decimals only when the number has them (at most two)."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _rounded(x: float) -> str:
    """A rounded number as reports print them: 2000 and 40 plain, separators from 10,000 up."""
    return _number(x) if abs(x) >= 10_000 else _plain(x)


def _plain(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}".rstrip("0").rstrip(".")


def _trim(x: float) -> str:
    """One decimal at most, and none when it is zero: 1.0 -> '1', 1.25 -> '1.2'."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


ROUNDING = {"floor": math.floor, "ceil": math.ceil, "round": round,
            "below": lambda x: math.ceil(x) - 1, "above": lambda x: math.floor(x) + 1}


def _money(value: float, arg: str) -> str:
    """'£' prints £1.2m; '£,above' rounds up at the printed precision (for 'nearly £3m')."""
    currency, _, mode = arg.partition(",")
    currency = "" if currency == "-" else currency
    rounding = ROUNDING.get(mode or "round")
    if rounding is None:
        raise FormatError(f"money rounding {mode!r}: use one of {', '.join(ROUNDING)}")
    sign = "-" if value < 0 else ""
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= size * 0.9995:
            return f"{sign}{currency}{_trim(rounding(abs(value) / size * 10) / 10)}{suffix}"
    return f"{sign}{currency}{_number(round(rounding(abs(value) * 10) / 10, 1))}"


def _ordinal(value: float) -> str:
    n = int(round(value))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


SCALE_PREFERENCE = ("millions", "hundreds of thousands", "tens of thousands", "thousands", "hundreds",
                    "dozens", "scores")  # where scales overlap, the more usual word wins


def _scale(value: float) -> str:
    for word in SCALE_PREFERENCE:
        low, high = WORD_SCALES[word]
        if low <= value <= high:
            return word
    raise FormatError(f"no word scale covers {_number(value)}; word scales: "
                      + ", ".join(f"{w} ({lo:,.0f}-{hi:,.0f})" for w, (lo, hi) in WORD_SCALES.items()))


def _below(value: float, step: float) -> float:
    """The largest multiple of step strictly below value: 'more than' stays true at 40."""
    return (math.ceil(value / step) - 1) * step


def _above(value: float, step: float) -> float:
    """The smallest multiple of step strictly above value: 'fewer than' stays true at 10."""
    return (math.floor(value / step) + 1) * step


@dataclass(frozen=True)
class Format:
    """One placeholder: its argument's meaning, how it prints a value, and its words."""

    name: str
    argument: str  # "" for none, else what the argument is
    apply: Callable[[float, str], str]
    words: str


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("value", "", lambda v, a: _plain(v), "the value as it is (15, 2.5)"),
    Format("comma", "", lambda v, a: _number(v), "the value with thousands separators (1,234)"),
    Format("floor", "step", lambda v, a: _rounded(math.floor(v / _step(a, v)) * _step(a, v)),
           "rounded down to a multiple of the step (43 -> 40 with {floor:10})"),
    Format("ceil", "step", lambda v, a: _rounded(math.ceil(v / _step(a, v)) * _step(a, v)),
           "rounded up to a multiple of the step"),
    Format("round", "step", lambda v, a: _rounded(round(v / _step(a, v)) * _step(a, v)),
           "rounded to the nearest multiple of the step"),
    Format("below", "step", lambda v, a: _rounded(_below(v, _step(a, v))),
           "the largest multiple of the step strictly below the value (40 -> 30, 43 -> 40): "
           "for 'more than'"),
    Format("above", "step", lambda v, a: _rounded(_above(v, _step(a, v))),
           "the smallest multiple of the step strictly above the value: for 'fewer than'"),
    Format("money", "currency", lambda v, a: _money(v, a or "£"),
           "money in k/m/bn with one decimal at most (£1m, £250k, £1.2bn); '-' for no symbol; "
           "'£,above' (or floor, ceil, below) rounds that way at the printed precision"),
    Format("percent", "decimals", lambda v, a: f"{v:.{int(a or 0)}f}%",
           "a percentage with the given decimals (45%)"),
    Format("ordinal", "", lambda v, a: _ordinal(v), "an ordinal (1st, 2nd, 23rd)"),
    Format("scale", "", lambda v, a: _scale(v), "the word scale covering the value (dozens, hundreds)"),
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
            _money(1.0, arg or "£")
        elif fmt.argument == "decimals" and arg and not (arg.isdigit() and int(arg) <= 6):
            raise FormatError(f"{{{name}:{arg}}}: decimals must be a whole number from 0 to 6")
        elif fmt.argument == "" and arg:
            raise FormatError(f"{{{name}}} takes no argument")
    if "{" in PLACEHOLDER.sub("", template) or "}" in PLACEHOLDER.sub("", template):
        raise FormatError("a '{' or '}' that is not part of a placeholder like {value}")


def render_template(template: str, value: float) -> str:
    """The printed text for a value."""
    return PLACEHOLDER.sub(lambda m: FORMATS[m.group(1)].apply(value, m.group(2) or ""), template)
