"""Dates a report printed ("30 June 2024", "May 2021", "since 2015", "4–9 May 2021", "2019–2023"),
read as claims on a date figure (the earliest or latest date of a column, or both), and printed
again from the data in the locale's words.

Printing is Babel's (CLDR skeletons and intervals: "4–9 May 2021", "30 mai 2024"); reading uses
Babel's month names for the locale. A printed date covers every day it names: "May 2021" holds for
any day in May 2021, "2019–2023" for a first date in 2019 and a last in 2023. The few words that may
stand before a date ("since", "as of") are a table per language; they say nothing more.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass

from infopipe.concepts.words import language

LEADS = {  # words that may stand before a printed date, per language
    "en": ("since", "as of", "as at", "in", "from", "until", "by", "on", "to"),
    "fr": ("depuis", "au", "en", "à partir de", "jusqu'au", "jusqu'en", "le", "dès"),
}
SKELETONS = {"day": "yMMMMd", "month": "yMMMM", "year": "y"}  # the precision a date was printed at
DATE_FORMATS = ("date", "dates")  # the placeholders that print dates (formats.py)


def is_date(value) -> bool:
    """A date figure's value: a date, or a date range (a pair of dates)."""
    if isinstance(value, (list, tuple)):
        return len(value) == 2 and all(is_date(v) for v in value)
    return isinstance(value, dt.date)


class DateClaimError(ValueError):
    """Text that does not read as a date or a date range."""


@functools.lru_cache(maxsize=None)
def _months(locale: str) -> dict[str, int]:
    """Month names (wide and abbreviated, with and without a full stop) -> month number."""
    from babel.dates import get_month_names

    names: dict[str, int] = {}
    for width in ("wide", "abbreviated"):
        for number, name in get_month_names(width, locale=locale).items():
            name = name.lower()
            names[name] = number
            names[name.rstrip(".")] = number
    if language(locale).code == "en":
        names["sept"] = 9
    return names


@functools.lru_cache(maxsize=None)
def _pattern(locale: str) -> re.Pattern:
    months = "|".join(sorted(map(re.escape, _months(locale)), key=len, reverse=True))

    def one(p: str) -> str:
        return (f"(?P<{p}d>\\d{{1,2}})?(?:er)?(?: ?(?P<{p}m>{months}))?(?: ?(?P<{p}y>\\d{{4}}))?")

    leads = "|".join(sorted(map(re.escape, LEADS[language(locale).code]), key=len, reverse=True))
    return re.compile(f"(?:(?P<lead>{leads}) )?{one('a')}(?:(?P<dash> ?- ?){one('b')})?")


@dataclass(frozen=True)
class Printed:
    """A date as printed, at its precision: the first and last day it covers."""

    first: dt.date
    last: dt.date
    precision: str  # "day", "month", "year"


def _date(day: str | None, month: int | None, year: int) -> Printed:
    try:
        if day:
            if not month:
                raise DateClaimError("a day needs its month")
            d = dt.date(year, month, int(day))
            return Printed(d, d, "day")
        if month:
            return Printed(dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]), "month")
        return Printed(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")
    except ValueError as err:
        raise DateClaimError(str(err)) from None


def _normalise(text: str) -> str:
    text = str(text).lower().replace("–", "-").replace("—", "-").replace("’", "'")
    return " ".join(text.split()).replace(" -", " -").strip()


def read_dates(text: str, locale: str) -> tuple[str, list[Printed]]:
    """(the lead word, one or two printed dates) of a date or a range, or DateClaimError."""
    said = _normalise(text)
    match = _pattern(locale).fullmatch(said)
    if not match or not (match["ay"] or match["by"]):
        raise DateClaimError(f"cannot read {text!r} as a date: write it as printed, e.g. '30 June 2024', "
                             "'May 2021', '2019', 'since 2015', '4–9 May 2021', '2019–2023'")
    months = _months(locale)
    g = match.groupdict()
    if not match["dash"]:
        if g["bd"] or g["bm"] or g["by"] or not g["ay"]:
            raise DateClaimError(f"cannot read {text!r} as a date")
        return match["lead"] or "", [_date(g["ad"], months.get(g["am"] or ""), int(g["ay"]))]
    if not g["by"]:
        raise DateClaimError(f"{text!r}: a date range ends with its year ('4–9 May 2021')")
    last = _date(g["bd"], months.get(g["bm"] or ""), int(g["by"]))
    month = months.get(g["am"] or "") or (last.first.month if g["ad"] else None)
    first = _date(g["ad"], month, int(g["ay"] or g["by"]))
    if first.first > last.last:
        raise DateClaimError(f"{text!r}: a date range must go from early to late")
    return match["lead"] or "", [first, last]


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class DateClaim:
    """A printed date (or range) as the days each end may fall on."""

    text: str
    kind: str  # "date" or "date_range"
    ends: tuple[tuple[dt.date, dt.date], ...]
    print_template: str

    def holds(self, value) -> bool:
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if len(self.ends) == 1 and len(values) == 2:  # "2021" said of a range: both ends in 2021
            return all(self.ends[0][0] <= _as_date(v) <= self.ends[0][1] for v in values)
        if len(values) != len(self.ends):
            return False
        return all(low <= _as_date(v) <= high for v, (low, high) in zip(values, self.ends))

    def words(self) -> str:
        said = [f"from {a.isoformat()} to {b.isoformat()}" if a != b else f"on {a.isoformat()}" for a, b in self.ends]
        if self.kind == "date":
            return f"a date as printed: the value must fall {said[0]}"
        return f"a date range as printed: the first date must fall {said[0]}, the last {said[1]}"

    def to_dict(self) -> dict:
        return {"text": self.text, "kind": self.kind, "meaning": self.words()}


def parse_date_claim(text: str, locale: str) -> DateClaim:
    """A printed date or range as a claim, with the template that prints a new value alike."""
    lead, printed = read_dates(text, locale)
    precision = min((p.precision for p in printed), key=list(SKELETONS).index)
    prefix = (lead + " ") if lead else ""
    if len(printed) == 1:
        template = prefix + "{date:" + SKELETONS[precision] + "}"
        return DateClaim(str(text), "date", ((printed[0].first, printed[0].last),), template)
    template = prefix + "{dates:" + SKELETONS[precision] + "}"
    return DateClaim(str(text), "date_range", tuple((p.first, p.last) for p in printed), template)


def format_date(value, skeleton: str, locale: str) -> str:
    """One date in the locale's words at the skeleton's precision ('30 June 2024', 'May 2021', '2024')."""
    from babel.dates import format_skeleton

    if isinstance(value, (list, tuple)):
        raise ValueError("{date} prints one date; a date range prints with {dates}")
    return format_skeleton(skeleton or SKELETONS["day"], _as_date(value), locale=locale)


def format_dates(value, skeleton: str, locale: str) -> str:
    """A date range in the locale's words ('4–9 May 2021', '2019–2023'), Babel's CLDR intervals."""
    from babel.dates import format_interval

    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError("{dates} prints a date range: a date_range rule's first and last dates")
    start, end = map(_as_date, value)
    return format_interval(start, end, skeleton or SKELETONS["day"], locale=locale)
