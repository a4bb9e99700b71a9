"""The column-type registry: each vectorised parser means exactly what the old per-cell parser meant.

`old_parse_cell` below is infopipe's per-cell parser as it was before the columnar path, frozen here as
the reference. Three differences are deliberate and asserted separately: digits are ASCII only, C0
control characters in text are refused, and values beyond int64 or float64 are refused.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infopipe.concepts.column_types import TYPES as DECLARED
from infopipe.concepts.columns import MESSAGES, TYPES, CellError, ColumnParser
from infopipe.spec.model import ColumnSpec

# ---- the reference: the per-cell parser of infopipe 0.1, unchanged -----------------------------
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$")
INTEGER = re.compile(r"^-?\d+$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
MONEY = re.compile(r"^(-)?£?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FORMULA = re.compile(r"^(?:[=@\t\r]|[+-][^\d\s.])")
BOOLEAN = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}


def old_parse_cell(text: str, kind: str):
    if text == "":
        return None
    if kind == "id":
        if text != text.strip():
            raise ValueError("an id must not start or end with spaces")
        if not ID.match(text):
            raise ValueError("an id is letters, digits and _ . : / - only")
        return text
    if kind in ("text", "source"):
        if FORMULA.match(text):
            raise ValueError("looks like a spreadsheet formula; write the plain text (a formula "
                             "could run when the data is opened in a spreadsheet)")
        if kind == "source" and not re.match(r"^(https?://\S+|reconstructed:\s*\S)", text):
            raise ValueError("a source is the public URL of the fact, or 'reconstructed:' and the "
                             "published total it reproduces")
        return text
    if kind == "integer":
        if not INTEGER.match(text.strip()):
            raise ValueError("not a whole number")
        return int(text)
    if kind == "number":
        if not NUMBER.match(text.strip()):
            raise ValueError("not a number (use digits and a decimal point)")
        return float(text)
    if kind == "money":
        match = MONEY.match(text.strip())
        if not match:
            raise ValueError("not an amount of money: write digits, optionally with '£', comma "
                             "thousands separators and pence, like 1000000 or £1,000,000.00")
        sign, whole, pence = match.groups()
        return float(f"{sign or ''}{whole.replace(',', '')}{pence or ''}")
    if kind == "date":
        if not DATE.match(text.strip()):
            raise ValueError("a date is written YYYY-MM-DD")
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            raise ValueError("no such date in the calendar") from None
    if kind == "boolean":
        if text.strip().lower() not in BOOLEAN:
            raise ValueError("write yes or no")
        return BOOLEAN[text.strip().lower()]
    raise ValueError(kind)


# ---- cells worth trying, per type ---------------------------------------------------------------
SPACEY = " \t\n\r\xa0\u2003\x1c"
ALPHABETS = {
    "id": "aZ9_.:/-é" + SPACEY,
    "text": "=@+-.5a\u0663" + SPACEY,
    "source": "htps:/reconstructed.x" + SPACEY,
    "integer": "0123456789-+.ex" + SPACEY,
    "number": "0123456789-+.e" + SPACEY,
    "money": "0123456789-.,£+" + SPACEY,
    "date": "0123456789-TZ:" + SPACEY,
    "boolean": "yesnotrufalYESNO10" + SPACEY,
}


def cells_for(kind: str):
    typed = TYPES[kind].strategy()
    return st.one_of(typed, typed.map(lambda s: " " + s), st.text(ALPHABETS[kind], max_size=14),
                     st.text(max_size=6), st.just(""))


def deliberate_difference(text: str, kind: str) -> bool:
    """Cells where the new parser deliberately differs from the old one (each tested below)."""
    if TYPES[kind].text_like and re.search(r"[\x00-\x08\x0a-\x1f]", text):
        return True
    if any(c.isdigit() and not c.isascii() for c in text) and kind not in ("id", "text", "source"):
        return True
    return False


def check_column(kind: str, cells: list[str]) -> None:
    parsed = TYPES[kind].parse(pa.array(cells, pa.string()))
    assert len(parsed.values) == len(cells)
    for i, text in enumerate(cells):
        if deliberate_difference(text, kind):
            continue
        try:
            expected = old_parse_cell(text, kind)
        except ValueError as err:
            if str(err) not in MESSAGES.values():
                continue  # the old parser leaked float()'s own error for '0\x1c'; now read as 0
            assert parsed.failed[i], (kind, text)
            assert pd.isna(parsed.values.iloc[i])
            found = TYPES[kind].explain(text)
            assert (str(found), found.check) == (str(err), f"type:{kind}")
            continue
        if isinstance(expected, float) and math.isinf(expected):
            assert parsed.failed[i]  # overflow: now refused, tested below
            continue
        if isinstance(expected, int) and not isinstance(expected, bool) and abs(expected) >= 2**63:
            continue
        assert not parsed.failed[i], (kind, text, TYPES[kind].explain(text))
        got = parsed.values.iloc[i]
        if expected is None:
            assert pd.isna(got), (kind, text)
        elif kind == "date":
            assert got == pd.Timestamp(expected), (text, got)
        else:
            assert got == expected, (kind, text, got)


@pytest.mark.parametrize("kind", sorted(ALPHABETS))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_vectorised_parser_means_what_the_cell_parser_meant(kind, data):
    """The types infopipe 0.1 had, against its frozen parser (a newer type is checked against its own
    entry by test_every_type_reads_a_column_as_its_entry_reads_each_cell)."""
    cells = data.draw(st.lists(cells_for(kind), min_size=1, max_size=40))
    check_column(kind, cells)


@pytest.mark.parametrize("kind, cells", [
    ("date", ["2016-02-29", "2019-02-29", "1900-02-29", "2000-02-29", "0000-01-01", "0001-01-01",
              "9999-12-31", "2019-13-01", "2019-00-10", "2019-04-31", " 2019-01-01 ", "2019-1-01",
              "2019-01-01T10", "20190101", "1500-06-01", "2300-01-01"]),
    ("money", ["£1,000,000", "1,000,000.00", "1000000.5", "1000000.505", "-£5", "£-5", "1.000.000,00",
               ".5", "5.", "1,00", "12,345,678.9", "-0.01", " £1 ", "0x1F", "1e5"]),
    ("number", ["1.5", "-1.5", "1.", ".5", "-.5", "1.2.3", "0x1F", "1e5", "inf", "nan", "+1", "00.10"]),
    ("integer", ["0x1F", "+5", "-5", "007", " 7 ", "1_000", "9223372036854775807", "-9223372036854775808",
                 "0000000000000000000000000012", "--5", "5-", "-"]),
    ("boolean", ["Yes", " NO ", "TRUE", "1", "0", "y", "maybe", "yes\n"]),
    ("id", ["SHEF", "shef", "MAN ", " MAN", "a b", "ARC-10", "ex:1/2.3_x", "-x", "é", "x\u00a0"]),
    ("text", ["=SUM(A1)", "@x", "+x", "-x", "+5", "-5", "+.5", "- x", "+\u0663", "\tx", "plain"]),
    ("source", ["https://x.org", "http://x", "https://", "https:// x", "reconstructed: £1m",
                "reconstructed:", "reconstructed:   ", "ftp://x", "https://\u00a0x", "=https://x"]),
])
def test_edge_cells(kind, cells):
    check_column(kind, cells * 3)  # repeated, so chunks hold more than one kind of cell


def test_big_column_goes_through_the_cheap_pass_and_agrees():
    rng = np.random.default_rng(3)
    dates = (np.datetime64("1990-01-01") + rng.integers(0, 20000, 5000)).astype(str).tolist()
    dates[1234] = "2019-02-30"  # one impossible date makes Arrow's cast refuse the chunk
    check_column("date", dates)
    money = [f"{v / 100:.2f}" for v in rng.integers(0, 10**9, 5000)]
    money[77] = "£1,234.5"
    money[78] = "1.2.3"
    check_column("money", money)


def test_control_characters_are_refused_with_their_position():
    parsed = TYPES["text"].parse(pa.array(["fine\ttab", "bad\x00nul", "two\nlines", "bell\x07", "ok"]))
    assert parsed.failed.tolist() == [False, True, True, True, False]
    err = TYPES["text"].explain("bad\x00nul")
    assert err.check == "control-character"
    assert str(err).startswith("contains the control character U+0000 at position 4;")
    assert "U+000A at position 5" in str(TYPES["source"].explain("http\nx"))
    assert "U+001F at position 1" in str(TYPES["id"].explain("\x1fID"))
    assert not TYPES["integer"].parse(pa.array([" 7\n"])).failed[0]  # numbers are stripped, as before


def test_values_beyond_their_type_are_refused_not_crashed():
    ints = TYPES["integer"].parse(pa.array(["9223372036854775807", "9223372036854775808",
                                            "-9223372036854775809", "99999999999999999999999"]))
    assert ints.failed.tolist() == [False, True, True, True]
    assert ints.values.iloc[0] == 2**63 - 1
    err = TYPES["integer"].explain("9223372036854775808")
    assert (err.check, str(err)) == ("type:integer", MESSAGES["integer-range"])
    huge = "1" + "0" * 400
    for kind in ("number", "money"):
        parsed = TYPES[kind].parse(pa.array([huge, "5"]))
        assert parsed.failed.tolist() == [True, False]
        assert TYPES[kind].explain(huge).check == f"type:{kind}"
    assert str(TYPES["number"].explain("1e999")) == MESSAGES["number"]  # no exponents, as before


def test_digits_from_other_scripts_are_refused():
    assert old_parse_cell("\u0663", "integer") == 3  # the old parser read Arabic-Indic 3 as 3
    assert TYPES["integer"].parse(pa.array(["\u0663"])).failed[0]
    assert isinstance(TYPES["integer"].explain("\u0663"), CellError)


def test_native_parquet_columns_are_taken_as_they_are():
    assert TYPES["integer"].parse(pa.array([1, None, 3], pa.int32())).values.tolist() == [1, pd.NA, 3]
    dates = TYPES["date"].parse(pa.array([dt.date(2019, 1, 2), None]))
    assert dates.values.iloc[0] == pd.Timestamp("2019-01-02") and pd.isna(dates.values.iloc[1])
    floats = TYPES["integer"].parse(pa.array([2016.0, 2.5, None, 1e20]))  # pandas' integers with gaps
    assert floats.failed.tolist() == [False, True, False, True]
    assert floats.values.iloc[0] == 2016 and pd.isna(floats.values.iloc[2])
    assert str(TYPES["integer"].explain("2.5")) == "not a whole number"
    stamps = TYPES["date"].parse(pa.array([dt.datetime(2019, 1, 2), dt.datetime(2019, 1, 2, 10, 30)]))
    assert stamps.failed.tolist() == [False, True]


def test_the_spec_reads_the_registry_without_importing_pandas():
    """The spec's known types are the registry's (one place), and reading it imports no pandas."""
    import subprocess
    import sys

    from infopipe.spec import model as spec
    assert spec.COLUMN_TYPES is DECLARED and set(TYPES) == set(DECLARED)
    col = ColumnSpec(name="x", type="money")
    from infopipe.data.validate import parse_cell
    assert parse_cell("£1,000", col) == 1000.0
    code = ("import sys, infopipe.spec.model, infopipe.spec.schema, infopipe.spec.compile; "
            "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow', 'hypothesis') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_spaces_are_exactly_what_python_calls_space():
    import sys

    from infopipe.concepts.columns import SPACES

    assert SPACES == "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


def cells_of(kind: str):
    """Valid cells of the type (its registered strategy), the same with spaces around, a stray sign or digit,
    cells made of a valid cell's own characters, and any short text."""
    typed = TYPES[kind].strategy()
    return st.one_of(typed, typed.map(lambda s: f" {s} "), typed.map(lambda s: s + "%"), typed.map(lambda s: s + "5"),
                     typed.map(lambda s: "+" + s), typed.flatmap(lambda s: st.text(s + " .,-%", max_size=10)),
                     st.text(max_size=6), st.just(""))


@pytest.mark.parametrize("kind", sorted(TYPES))
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_every_type_reads_a_column_as_its_entry_reads_each_cell(kind, data):
    """Any registered type, a new one included: the whole-column read (its fast path, or cell by cell)
    gives each cell exactly what the entry's parse_one gives it, fails where it fails, and words the
    failure as parse_one does."""
    cells = data.draw(st.lists(cells_of(kind), min_size=1, max_size=30))
    for parser in (TYPES[kind], ColumnParser(DECLARED[kind], fast=None)):  # its fast path; cell by cell
        check_against_entry(kind, cells, parser.parse(pa.array(cells, pa.string())))


def check_against_entry(kind: str, cells: list[str], parsed) -> None:
    assert str(parsed.values.dtype) == DECLARED[kind].dtype
    for i, text in enumerate(cells):
        try:
            expected = DECLARED[kind].parse_one(text)
        except CellError as err:
            assert parsed.failed[i] and pd.isna(parsed.values.iloc[i]), (kind, text)
            assert str(TYPES[kind].explain(text)) == str(err)
            continue
        assert not parsed.failed[i], (kind, text)
        got = parsed.values.iloc[i]
        if expected is None:
            assert pd.isna(got), (kind, text)
        else:
            assert got == (pd.Timestamp(expected) if isinstance(expected, dt.date) else expected), (kind, text, got)
