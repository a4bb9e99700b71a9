"""The column types, one registered entry each, as pandera keeps each Check: its traits, its exact
per-cell meaning, the pandas dtype of its typed column, how a value written in the spec is read as
it, its words, and a Hypothesis strategy of valid cells for its tests.

Adding a column type is one `ColumnType(...)` entry at the bottom of this module (its cell parser and
its message sit just above) plus its test. Everything else reads the entry: the spec's known types,
which rules, filters and constraints apply (the traits), filter values (`coerce`), the JSON Schema,
the README tables, describe_checks, and the data path. columns.py reads a whole column at once by the
same meaning through a fast path registered there (`FAST`), or, for a type that has none, cell by cell
with `parse_one`: slower, never different.

Pure Python (re, datetime): the spec reads this module, and reading a spec imports no pandas.

Meaning shared by every type: an empty cell ("") is missing (null), never a failure; whether it may
be missing is the column's `nullable`. Digits are ASCII 0-9 only (a look-alike digit from another
script is refused rather than silently read as a number).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any, Callable

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# Python's str.strip() and regex \s both use str.isspace(); spelled out, not scanned at import
# (scanning all of Unicode took 0.5 s); a test checks it against `chr(c).isspace()` for every code point.
SPACES = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
          "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")

# The per-cell meaning, unchanged from infopipe's first per-cell parser except for ASCII digits.
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$")
INTEGER = re.compile(r"^-?[0-9]+$")
NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
# Accepted money forms: 1000000, 1000000.50, £1,000,000, 1,000,000.00 (UK style only).
MONEY = re.compile(r"^(-)?£?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(\.[0-9]{1,2})?$")
PERCENT = re.compile(r"^(-?[0-9]+(?:\.[0-9]+)?)%?$")  # 45, 45%, 12.5%: read as 45 and 12.5
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
FORMULA = re.compile(r"^(?:[=@\t\r]|[+-][^\d\s.])")
SOURCE = re.compile(r"^(https?://\S+|reconstructed:\s*\S)")
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f]")  # C0 controls except tab
BOOLEAN = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}

MESSAGES = {
    "id-spaces": "an id must not start or end with spaces",
    "id": "an id is letters, digits and _ . : / - only",
    "formula": ("looks like a spreadsheet formula; write the plain text (a formula could run when the "
                "data is opened in a spreadsheet)"),
    "source": ("a source is the public URL of the fact, or 'reconstructed:' and the published total it "
               "reproduces"),
    "integer": "not a whole number",
    "integer-range": (f"a whole number beyond the 64-bit range ({INT64_MIN:,} to {INT64_MAX:,}); "
                      "is it an id or a code? declare the column as text or id"),
    "number": "not a number (use digits and a decimal point)",
    "number-range": "a number too large to hold (beyond 1.8e308)",
    "money": ("not an amount of money: write digits, optionally with '£', comma thousands separators "
              "and pence, like 1000000 or £1,000,000.00"),
    "money-range": "an amount of money too large to hold (beyond 1.8e308)",
    "percent": "not a percentage: write digits, optionally with a decimal point and '%', like 45, 45% or 12.5%",
    "percent-range": "a percentage too large to hold (beyond 1.8e308)",
    "date": "a date is written YYYY-MM-DD",
    "calendar": "no such date in the calendar",
    "boolean": "write yes or no",
}


class CellError(ValueError):
    """One cell that is not of its column's type; `check` names the check, str() says what is wrong."""

    def __init__(self, message: str, check: str):
        super().__init__(message)
        self.check = check


# ---- the per-cell meaning of each type (the reference; also words the messages) --------------

def _control(text: str) -> None:
    found = CONTROL.search(text)
    if found:
        raise CellError(f"contains the control character U+{ord(found.group()):04X} at position "
                        f"{found.start() + 1}; remove it (control characters are invisible and break "
                        "files and tools downstream)", "control-character")


def _one_id(text: str):
    if text == "":
        return None
    _control(text)
    if text != text.strip():
        raise CellError(MESSAGES["id-spaces"], "type:id")
    if not ID.match(text):
        raise CellError(MESSAGES["id"], "type:id")
    return text


def _one_text(kind: str):
    def parse(text: str):
        if text == "":
            return None
        _control(text)
        if FORMULA.match(text):
            raise CellError(MESSAGES["formula"], f"type:{kind}")
        if kind == "source" and not SOURCE.match(text):
            raise CellError(MESSAGES["source"], "type:source")
        return text
    return parse


def _shaped(text: str, pattern: re.Pattern, kind: str) -> re.Match:
    """The cell, spaces stripped, matched against its type's pattern; CellError when it does not fit."""
    match = pattern.match(text.strip(SPACES))
    if not match:
        raise CellError(MESSAGES[kind], f"type:{kind}")
    return match


def _one_integer(text: str):
    if text == "":
        return None
    _shaped(text, INTEGER, "integer")
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise CellError(MESSAGES["integer-range"], "type:integer")
    return value


def _finite(value: float, kind: str) -> float:
    if value in (float("inf"), float("-inf")):
        raise CellError(MESSAGES[f"{kind}-range"], f"type:{kind}")
    return value


def _one_number(text: str):
    if text == "":
        return None
    _shaped(text, NUMBER, "number")
    return _finite(float(text), "number")


def _one_money(text: str):
    if text == "":
        return None
    sign, whole, pence = _shaped(text, MONEY, "money").groups()
    return _finite(float(f"{sign or ''}{whole.replace(',', '')}{pence or ''}"), "money")


def _one_percent(text: str):
    if text == "":
        return None
    return _finite(float(_shaped(text, PERCENT, "percent").group(1)), "percent")


def _one_date(text: str):
    if text == "":
        return None
    _shaped(text, DATE, "date")
    try:
        return dt.date.fromisoformat(text.strip(SPACES))
    except ValueError:
        raise CellError(MESSAGES["calendar"], "type:date") from None


def _one_boolean(text: str):
    if text == "":
        return None
    word = text.strip(SPACES).lower()
    if word not in BOOLEAN:
        raise CellError(MESSAGES["boolean"], "type:boolean")
    return BOOLEAN[word]


# ---- a value written in the spec (a filter's, a breakdown part's), in the column's type ----------

def _spec_number(value: Any, name: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number, and the column is {name}")
    if not math.isfinite(value) or abs(value) > 2**63:
        raise ValueError(f"{value!r} is beyond what a {name} column holds")
    return value


def _spec_date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _spec_boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false, and the column is boolean")
    return value


def _spec_text(value: Any, name: str) -> str:
    if isinstance(value, (dict, list)) or value is None:
        raise ValueError(f"{value!r} is not text")
    return str(value)


# ---- Hypothesis strategies of valid cells (only tests call them; Hypothesis is imported then) ----

def _st():
    from hypothesis import strategies as st

    return st


def _digits():
    return _st().text("0123456789", min_size=1, max_size=12)


def _ids():
    return _st().from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.:/-]{0,20}\Z")


def _texts():
    return _st().text(min_size=1).filter(lambda s: not FORMULA.match(s) and not CONTROL.search(s))


def _sources():
    return _st().builds(lambda p: "https://example.org/" + p, _st().text("abc/123", max_size=10))


def _integers():
    return _st().builds(lambda s, d: s + d, _st().sampled_from(["", "-"]), _digits())


def _numbers():
    st = _st()
    return st.builds(lambda s, d, f: s + d + f, st.sampled_from(["", "-"]), _digits(),
                     st.sampled_from(["", ".5", ".25"]) | st.text("0123456789", min_size=1, max_size=3).map(".".__add__))


def _moneys():
    st = _st()
    grouped = st.builds(lambda head, groups: head + "".join("," + g for g in groups),
                        st.text("123456789", min_size=1, max_size=3), st.lists(st.text("0123456789", min_size=3, max_size=3), max_size=3))
    pence = st.sampled_from(["", ".5", ".50", ".05"])
    return st.builds(lambda s, p, w, d: s + p + w + d, st.sampled_from(["", "-"]), st.sampled_from(["", "£"]),
                     _digits() | grouped, pence)


def _percents():
    return _st().builds(lambda n, p: n + p, _numbers(), _st().sampled_from(["", "%"]))


def _dates():
    return _st().dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(dt.date.isoformat)


def _booleans():
    return _st().sampled_from(sorted(BOOLEAN) + ["YES", " no "])


# ---- the registry --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnType:
    """Everything infopipe knows about one column type."""

    name: str
    accepts: str  # what a cell may hold, in words (README)
    dtype: str  # the pandas dtype of the typed column ("str" is Arrow-backed text)
    parse_one: Callable[[str], Any]  # one cell -> value (None when empty), or CellError saying what is wrong
    spec_value: Callable[[Any, str], Any]  # (a value written in the spec, the type's name) -> it in this type
    strategy: Callable[[], Any]  # Hypothesis strategy of valid cells, for tests
    numeric: bool = False  # holds numbers: sum, mean, median; min/max constraints
    ordered: bool = False  # values compare: min, max, gt ... between
    textual: bool = False  # text: contains, starts_with; cells checked for control characters

    @property
    def check(self) -> str:
        """The check a failing cell is reported under: [type:money]."""
        return f"type:{self.name}"

    @property
    def words(self) -> str:
        """How the checks a table passed name the type (describe_checks)."""
        return self.name

    def coerce(self, value: Any) -> Any:
        """A spec value in this type; ValueError says why it does not fit."""
        return self.spec_value(value, self.name)

    def explain(self, text: str) -> CellError:
        """Why one cell failed, in the words of parse_one."""
        try:
            self.parse_one(text)
        except CellError as err:
            return err
        raise AssertionError(f"{self.name}: the column parser refused {text!r}, the cell parser took it")


TYPES: dict[str, ColumnType] = {t.name: t for t in (
    ColumnType("id", "letters, digits and `_ . : / -`; unique ignoring case and spaces when it is the "
               "primary key", "str", _one_id, _spec_text, _ids, textual=True),
    ColumnType("text", "any text, except what starts like a spreadsheet formula (`=`, `@`, `+x`, `-x`)",
               "str", _one_text("text"), _spec_text, _texts, textual=True),
    ColumnType("source", "the public URL of the fact (`https://...`), or `reconstructed:` and the "
               "published total it reproduces", "str", _one_text("source"), _spec_text, _sources, textual=True),
    ColumnType("integer", "whole numbers: `42`, `-7`, within 64 bits", "Int64", _one_integer, _spec_number,
               _integers, numeric=True, ordered=True),
    ColumnType("number", "digits, optionally with a decimal point: `20`, `1.5`, `-0.25`", "Float64", _one_number, _spec_number,
               _numbers, numeric=True, ordered=True),
    ColumnType("money", "`1000000`, `1000000.50`, `£1,000,000`, `1,000,000.00` (French style with "
               "`locale: fr_FR`)", "Float64", _one_money, _spec_number, _moneys, numeric=True, ordered=True),
    ColumnType("percent", "a percentage, with or without `%`: `45`, `45%`, `12.5%` (read as 45, 45, 12.5)",
               "Float64", _one_percent, _spec_number, _percents, numeric=True, ordered=True),
    ColumnType("date", "`YYYY-MM-DD`, a day in the calendar", "datetime64[s]", _one_date, _spec_date, _dates,
               ordered=True),
    ColumnType("boolean", "`yes`/`no`, `true`/`false`, `1`/`0` (any case)", "boolean", _one_boolean,
               _spec_boolean, _booleans),
)}

# The traits as sets of type names, for the registries that name the types they apply to.
NUMERIC = frozenset(t.name for t in TYPES.values() if t.numeric)
ORDERED = frozenset(t.name for t in TYPES.values() if t.ordered)
TEXTUAL = frozenset(t.name for t in TYPES.values() if t.textual)
ANY = frozenset(TYPES)


def coerce_value(value: Any, column_type: str) -> Any:
    """A spec value in the column's own type; ValueError says why it does not fit."""
    return TYPES[column_type].coerce(value)
