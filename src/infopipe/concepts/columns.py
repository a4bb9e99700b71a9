"""The column types on the data path: a whole column read at once by its registered type.

What each type means lives in its entry in column_types.py (traits, the exact per-cell parser, dtype,
spec values, words, test strategy). This module reads a whole column of text at once by that same
meaning (pyarrow.compute, RE2 regexes, numpy), so a table of millions of rows is typed without a
Python call per cell: each type's fast path is registered in `FAST` at the bottom. The per-cell parser
stays the reference and words the message of each failing cell, so messages are only built for the
cells that fail. A type with no fast path is read cell by cell by its parse_one: slower, never different.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from infopipe.concepts.column_types import (  # noqa: F401 (MESSAGES, CellError: read from here too)
    BOOLEAN, INT64_MAX, INT64_MIN, MESSAGES, SPACES, CellError, ColumnType)
from infopipe.concepts.column_types import TYPES as DECLARED

MAX_CELL_CHARS = 131_072  # the csv module's default field limit, kept as infopipe's limit per cell

# RE2's \s is ASCII only, so Python's set of spaces (column_types.SPACES) is spelled out for the
# vectorised regexes.
RE2_SPACE = "".join(f"\\x{{{ord(c):x}}}" for c in SPACES)  # the same set, as an RE2 class body
_RE2_SPACE = RE2_SPACE


# The same patterns for RE2 (pyarrow.compute), with Python's \d and \s spelled out.
_RE2 = {
    "id": r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$",
    "integer": r"^-?[0-9]+$",
    "number": r"^-?[0-9]+(\.[0-9]+)?$",
    "money": r"^-?£?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]{1,2})?$",
    "percent": r"^-?[0-9]+(\.[0-9]+)?%?$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "formula": rf"^([=@\t\r]|[+-][^\p{{Nd}}{_RE2_SPACE}.])",
    "source": rf"^(https?://[^{_RE2_SPACE}]+|reconstructed:[{_RE2_SPACE}]*[^{_RE2_SPACE}])",
    "control": r"[\x00-\x08\x0a-\x1f]",
}


@dataclass(frozen=True)
class Parsed:
    """A parsed column: typed values (null where empty or failing) and which cells failed."""

    values: pd.Series
    failed: np.ndarray  # bool, one per row

    @staticmethod
    def concat(parts: list["Parsed"]) -> "Parsed":
        """Parts of one column, parsed one after the other, as one (text is not copied)."""
        if len(parts) == 1:
            return parts[0]
        return Parsed(pd.concat([p.values for p in parts], ignore_index=True),
                      np.concatenate([p.failed for p in parts]))


@dataclass(frozen=True)
class FastPath:
    """A type's whole-column parsers: speed only, the meaning stays the entry's parse_one."""

    parse_text: Callable[[pa.ChunkedArray], tuple[Any, np.ndarray]]  # strings -> (values, ok mask)
    native: Callable[[pa.DataType], bool] = lambda t: False  # Arrow types already of this type
    from_native: Callable[[pa.ChunkedArray], tuple[Any, np.ndarray]] | None = None


@dataclass(frozen=True)
class ColumnParser:
    """A registered column type (column_types.py) with its fast path, if it has one."""

    type: ColumnType
    fast: FastPath | None = None

    name = property(lambda self: self.type.name)
    dtype = property(lambda self: self.type.dtype)
    words = property(lambda self: self.type.words)
    check = property(lambda self: self.type.check)
    parse_one = property(lambda self: self.type.parse_one)
    explain = property(lambda self: self.type.explain)
    strategy = property(lambda self: self.type.strategy)
    text_like = property(lambda self: self.type.textual)  # text-ish cells are checked for control characters

    def parse(self, column: pa.ChunkedArray | pa.Array) -> Parsed:
        """A whole column, text or (from Parquet) native Arrow values, as this type."""
        if isinstance(column, pa.Array):
            column = pa.chunked_array([column])
        fast = self.fast
        if fast is not None and fast.from_native is not None and fast.native(column.type):
            values, ok = fast.from_native(column)
        else:
            text = column if is_text(column.type) else _as_text(column)
            values, ok = fast.parse_text(text) if fast is not None else _cell_by_cell(self.type, text)
        return Parsed(_series(values, self.dtype), ~ok)


def parse_columns(types: dict[str, ColumnParser], table: pa.Table) -> dict[str, Parsed]:
    """Each named column of a table parsed by its type."""
    return {name: kind.parse(table.column(name)) for name, kind in types.items()}


# ---- helpers shared by the parsers -------------------------------------------------------------

def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Native values (Parquet) as the text a person would have typed; nulls become empty cells."""
    if pa.types.is_floating(column.type):
        values = column.to_numpy(zero_copy_only=False)
        text = [("" if v != v else _float_text(v)) for v in values]
        return pa.chunked_array([pa.array(text, pa.string())])
    if pa.types.is_boolean(column.type):
        column = pc.if_else(column, "true", "false")
    elif pa.types.is_timestamp(column.type):
        midnight = pc.equal(pc.cast(column, pa.date32()).cast(column.type), column)
        column = pc.if_else(midnight, pc.strftime(column, "%Y-%m-%d"), pc.strftime(column, "%Y-%m-%d %H:%M:%S"))
    text = pc.cast(column, pa.string())
    return pc.fill_null(text, "")


def _float_text(value: float) -> str:
    if value.is_integer() and abs(value) < 2**63:
        return str(int(value))
    return np.format_float_positional(value, trim="-")


def _strip(text: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.utf8_trim(text, characters=SPACES)


def _match(text, pattern: str) -> pa.ChunkedArray:
    return pc.match_substring_regex(text, pattern)


def _np(mask) -> np.ndarray:
    """A boolean Arrow array (nulls as False) as numpy."""
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _present(text) -> np.ndarray:
    """Which cells are not empty, from the offsets alone (a text cell is empty when it has no bytes)."""
    if isinstance(text, pa.ChunkedArray) and all(is_text(c.type) and not c.null_count for c in text.chunks):
        return np.concatenate([_Cells(c).present for c in text.chunks]) if text.num_chunks else np.zeros(0, bool)
    return ~_np(pc.equal(text, ""))


def _null_where(values: pa.ChunkedArray, bad: np.ndarray) -> pa.ChunkedArray:
    """The same values with the `bad` ones null; only a new validity bitmap is made, the value
    buffers are shared (a text column of millions of cells is not copied)."""
    chunks, start = [], 0
    for chunk in values.chunks:
        valid = ~bad[start:start + len(chunk)]
        start += len(chunk)
        if chunk.null_count:
            valid &= _np(chunk.is_valid())
        bits = np.packbits(np.concatenate([np.zeros(chunk.offset, bool), valid]), bitorder="little")
        buffers = chunk.buffers()
        chunks.append(pa.Array.from_buffers(chunk.type, len(chunk), [pa.py_buffer(bits), *buffers[1:]],
                                            offset=chunk.offset))
    return pa.chunked_array(chunks, values.type)


STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' own "str": Arrow-backed text


def _series(values, dtype: str) -> pd.Series:
    """Parsed values as a pandas column of the type's dtype, copying as little as possible."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        if dtype == "str":
            chunked = values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])
            return pd.Series(pd.arrays.ArrowStringArray(chunked, dtype=STR), copy=False)
        values = _np_masked(values, {"Int64": np.int64, "Float64": np.float64, "boolean": bool}[dtype])
    if isinstance(values, np.ma.MaskedArray):
        data, mask = values.data, np.ma.getmaskarray(values)
        array = {"Int64": pd.arrays.IntegerArray, "Float64": pd.arrays.FloatingArray,
                 "boolean": pd.arrays.BooleanArray}[dtype](data, mask)
        return pd.Series(array, copy=False)
    return pd.Series(values, dtype=dtype, copy=False)


def localised_money(column, pattern: str):
    """A money column written in a locale's style ("1 000 000,50 €") rewritten in the style the
    money parser reads ("1000000.50"); a cell that does not match `pattern` becomes one the parser
    refuses, so a UK-style "1,000.50" is not read in a French spec. By hand because Babel's
    parse_decimal reads one string at a time; this stays columnar (pyarrow compute)."""
    text = pc.cast(column, pa.string())
    ok = pc.or_(pc.match_substring_regex(text, pattern), pc.equal(pc.utf8_trim_whitespace(text), ""))
    plain = pc.replace_substring_regex(text, r"[ \x{a0}\x{202f}€]", "")
    plain = pc.replace_substring(plain, ",", ".")
    return pc.if_else(pc.fill_null(ok, True), plain, pa.scalar("not money", pa.string()))


def _cell_by_cell(kind: ColumnType, text: pa.ChunkedArray) -> tuple[pd.Series, np.ndarray]:
    """A type with no fast path, each cell by its parse_one (one Python call per cell)."""
    values, ok = [], np.ones(len(text), dtype=bool)
    for row, cell in enumerate(text.to_pylist()):
        try:
            values.append(kind.parse_one(cell or ""))
        except CellError:
            values.append(None)
            ok[row] = False
    return pd.Series(values, dtype=STR if kind.dtype == "str" else kind.dtype), ok


# ---- the same meaning, a whole column at once --------------------------------------------------
#
# Each type reads a column in two passes. A cheap pass over the raw bytes (lengths from the offsets,
# a byte-class table, the first and last byte of each cell) accepts the cells that are certainly of
# the type, as almost all cells are. The exact pass (RE2 regexes equal to the per-cell ones) then
# runs only on the cells the cheap pass did not accept: those are either unusual but valid (a '£',
# a thousands comma, a minus) or failing.

class ByteSet:
    """A set of bytes, as a lookup table (which cells hold others) and as bytes (whether any does:
    bytes.translate deletes the allowed ones several times faster than a table lookup)."""

    def __init__(self, chars: str):
        self.chars = chars.encode()
        self.table = np.zeros(256, dtype=bool)
        self.table[list(self.chars)] = True

    def __getitem__(self, index):
        return self.table[index]


DIGITS = ByteSet("0123456789")
ID_BYTES = ByteSet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/-")
ALNUM = ByteSet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
DECIMAL = ByteSet("0123456789.")
FORMULA_START = ByteSet("=@\t\r+-")
URL_CHAR = ByteSet("".join(chr(c) for c in range(0x21, 0x7F)))  # printable ASCII, no space


class _Cells:
    """One chunk of text cells seen as bytes: offsets, lengths and the data buffer, without copies."""

    def __init__(self, chunk: pa.Array):
        self.chunk = chunk
        offsets = np.frombuffer(chunk.buffers()[1], dtype=offset_type(chunk.type))
        self.offsets = offsets[chunk.offset:chunk.offset + len(chunk) + 1]
        data = chunk.buffers()[2]
        self.data = np.frombuffer(data, dtype=np.uint8) if data is not None and data.size else np.zeros(1, np.uint8)
        self.lengths = np.diff(self.offsets)
        self.present = self.lengths > 0

    def byte_at(self, position: int) -> np.ndarray:
        """Each cell's byte at `position` (negative: from the end); 0 where the cell is too short."""
        if position >= 0:
            where, inside = self.offsets[:-1] + position, self.lengths > position
        else:
            where, inside = self.offsets[1:] + position, self.lengths >= -position
        np.minimum(where, len(self.data) - 1, out=where)
        np.maximum(where, 0, out=where)
        return self.data[where] * inside

    def any_byte_outside(self, allowed: ByteSet) -> np.ndarray:
        """Which cells hold a byte not in `allowed`; cheap when there is none."""
        raw = self.data[self.offsets[0]:self.offsets[-1]]
        out = np.zeros(len(self.lengths), dtype=bool)
        if not raw.tobytes().translate(None, allowed.chars):
            return out
        bad = np.flatnonzero(~allowed.table[raw])
        if len(bad):
            cells = np.searchsorted(self.offsets, bad + self.offsets[0], side="right") - 1
            out[cells] = True
        return out

    def min_byte(self) -> int:
        raw = self.data[self.offsets[0]:self.offsets[-1]]
        return int(raw.min()) if len(raw) else 0xFF


def offset_type(kind: pa.DataType):
    """The numpy type of a text array's offsets: 64-bit for large_string, else 32-bit."""
    return np.int64 if pa.types.is_large_string(kind) else np.int32


def is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _chunks(text: pa.ChunkedArray):
    for chunk in text.chunks:
        if len(chunk):
            yield chunk, _Cells(chunk)


def _exact_on(chunk: pa.Array, rows: np.ndarray, parse) -> tuple[Any, np.ndarray]:
    """The exact parser on some rows of a chunk only."""
    return parse(pa.chunked_array([chunk.take(pa.array(rows, pa.int64()))], chunk.type))


def _text_values(text: pa.ChunkedArray, bad: np.ndarray):
    """Text cells as they are, with empty and failing cells null (the data buffers are shared)."""
    missing = bad | ~_present(text)
    return _null_where(text, missing) if missing.any() else text


def _controls(cells: _Cells) -> np.ndarray:
    """Cells that may hold a C0 control other than tab: none at all when no byte is below 0x20 (UTF-8
    never uses such bytes inside a longer character), which one min() over the bytes shows."""
    if cells.min_byte() >= 0x20:
        return np.zeros(len(cells.lengths), dtype=bool)
    return _np(_match(cells.chunk, _RE2["control"]))


def _many_id(text):
    oks = []
    for chunk, cells in _chunks(text):
        ok = ~cells.present | (ALNUM[cells.byte_at(0)] & ~cells.any_byte_outside(ID_BYTES))
        oks.append(ok)  # the cheap pass is exact here: the id pattern is a byte class and a first byte
    ok = np.concatenate(oks) if oks else np.ones(len(text), dtype=bool)
    return _text_values(text, ~ok), ok


def _exact_text(kind: str):
    def parse(text):
        present = _present(text)
        head = pc.utf8_slice_codeunits(text, 0, 2)
        bad = _np(_match(head, _RE2["formula"])) | _np(_match(text, _RE2["control"]))
        if kind == "source":
            bad |= present & ~_np(_match(text, _RE2["source"]))
        return None, ~(present & bad)
    return parse


def _many_text(kind: str):
    exact = _exact_text(kind)

    def parse(text):
        oks = []
        for chunk, cells in _chunks(text):
            unsure = cells.present & (FORMULA_START[cells.byte_at(0)] | _controls(cells))
            if kind == "source":
                https = _np(pc.starts_with(chunk, "https://")) & URL_CHAR[cells.byte_at(8)]
                http = _np(pc.starts_with(chunk, "http://")) & URL_CHAR[cells.byte_at(7)]
                unsure |= cells.present & ~(https | http)
            ok = np.ones(len(chunk), dtype=bool)
            rows = np.flatnonzero(unsure)
            if len(rows):
                ok[rows] = exact(pa.chunked_array([chunk.take(pa.array(rows))]))[1]
            oks.append(ok)
        ok = np.concatenate(oks) if oks else np.ones(len(text), dtype=bool)
        return _text_values(text, ~ok), ok
    return parse


def _exact_integer(text):
    present = _present(text)
    stripped = _strip(text)
    shape = _np(_match(stripped, _RE2["integer"]))
    long = shape & (_np(pc.greater(pc.utf8_length(stripped), 18)))
    ok = ~present | shape
    for i in np.flatnonzero(long):  # 19+ digits: may not fit in 64 bits; rare, so checked one by one
        value = int(stripped[int(i)].as_py())
        if not INT64_MIN <= value <= INT64_MAX:
            ok[i], shape[i] = False, False
    values = pc.cast(_null_where(stripped, ~shape), pa.int64())
    return _np_masked(values, np.int64), ok


def _np_masked(values: pa.ChunkedArray, dtype) -> np.ndarray:
    """Arrow numbers with nulls as a numpy masked array (numbers plus a 'missing' flag)."""
    valid = _np(pc.is_valid(values))
    zero = pa.scalar(False) if pa.types.is_boolean(values.type) else pa.scalar(0, values.type)
    numbers = np.asarray(pc.fill_null(values, zero).to_numpy(zero_copy_only=False), dtype=dtype)
    return np.ma.masked_array(numbers, mask=~valid)


def _two_pass(text, dtype, cheap, exact):
    """Typed values and ok mask: `cheap(chunk, cells)` gives (sure, values) for the cells it is sure
    of; the exact parser reads the rest."""
    numbers = np.zeros(len(text), dtype=dtype)
    missing = np.ones(len(text), dtype=bool)
    ok = np.ones(len(text), dtype=bool)
    start = 0
    for chunk in text.chunks:
        if not len(chunk):
            continue
        cells = _Cells(chunk)
        sure, values = cheap(chunk, cells)
        part = slice(start, start + len(chunk))
        if values is not None and sure.all():
            numbers[part] = values
            missing[part] = False
        elif values is not None:
            numbers[part][sure] = values[sure]
            missing[part][sure] = False
        rows = np.flatnonzero(cells.present & ~sure)
        if len(rows):
            exact_values, exact_ok = _exact_on(chunk, rows, exact)
            ok[part][rows] = exact_ok
            numbers[part][rows] = exact_values.filled(0)
            missing[part][rows] = np.ma.getmaskarray(exact_values) | ~exact_ok
        start += len(chunk)
    return np.ma.masked_array(numbers, mask=missing), ok


def _only(chunk: pa.Array, keep: np.ndarray) -> pa.Array:
    """The chunk with every cell but `keep` null: a new validity bitmap, the text is not copied."""
    return _null_where(pa.chunked_array([chunk], chunk.type), ~keep).chunk(0)


def _numbers(array: pa.Array, dtype) -> np.ndarray:
    return np.asarray(pc.fill_null(array, pa.scalar(0, array.type)).to_numpy(zero_copy_only=False), dtype=dtype)


def _cheap_integer(chunk, cells):
    sure = cells.present & (cells.lengths <= 18) & ~cells.any_byte_outside(DIGITS)
    if not sure.any():
        return sure, None
    return sure, _numbers(pc.cast(_only(chunk, sure), pa.int64()), np.int64)


def _many_integer(text):
    return _two_pass(text, np.int64, _cheap_integer, _exact_integer)


def _exact_float(kind: str):
    def parse(text):
        present = _present(text)
        stripped = _strip(text)
        shape = _np(_match(stripped, _RE2[kind]))
        digits = stripped
        if kind == "money":
            digits = pc.replace_substring(pc.replace_substring(stripped, "£", ""), ",", "")
        elif kind == "percent":
            digits = pc.replace_substring(stripped, "%", "")
        values = pc.cast(_null_where(digits, ~shape), pa.float64())
        shape &= _np(pc.is_finite(values)) | ~present
        return _np_masked(_null_where(values, ~shape), np.float64), ~present | shape
    return parse


def _cheap_float(kind: str):
    def cheap(chunk, cells):
        # digits with at most one '.', neither first nor last (the cast refuses a second '.'), and for
        # money at most two digits after it
        sure = (cells.present & DIGITS[cells.byte_at(0)] & DIGITS[cells.byte_at(-1)]
                & ~cells.any_byte_outside(DECIMAL))
        if kind == "money":
            dot = np.asarray(pc.find_substring(chunk, ".").to_numpy(zero_copy_only=False))
            sure &= (dot < 0) | (cells.lengths - dot <= 3)
        if not sure.any():
            return sure, None
        try:
            values = _numbers(pc.cast(_only(chunk, sure), pa.float64()), np.float64)
        except pa.ArrowInvalid:  # '1.2.3': leave the whole chunk to the exact pass
            return np.zeros(len(chunk), dtype=bool), None
        return sure & np.isfinite(values), values
    return cheap


def _many_float(kind: str):
    cheap, exact = _cheap_float(kind), _exact_float(kind)
    return lambda text: _two_pass(text, np.float64, cheap, exact)


def _exact_date(text):
    present = _present(text)
    stripped = _strip(text)
    shape = _np(_match(stripped, _RE2["date"]))
    parts = pc.fill_null(_null_where(stripped, ~shape), "0000-00-00")
    year = _np_int(pc.utf8_slice_codeunits(parts, 0, 4))
    month = _np_int(pc.utf8_slice_codeunits(parts, 5, 7))
    day = _np_int(pc.utf8_slice_codeunits(parts, 8, 10))
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 0, 12)]
    month_days = month_days + ((month == 2) & leap)
    real = shape & (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    months = np.where(real, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + np.where(real, day - 1, 0)
    return np.ma.masked_array(days.astype("datetime64[s]").astype(np.int64), mask=~real), ~present | real


YEAR_ONE = int(np.datetime64("0001-01-01", "s").astype(np.int64))


def _cheap_date(chunk, cells):
    # Arrow's ISO-8601 cast reads exactly YYYY-MM-DD from a 10-byte cell and checks the calendar;
    # year 0000 (which Python's dates have not) is left to the exact pass.
    sure = cells.present & (cells.lengths == 10)
    if not sure.any():
        return sure, None
    try:
        stamps = pc.cast(_only(chunk, sure), pa.timestamp("s"))
    except pa.ArrowInvalid:  # an impossible date somewhere: the exact pass reads the chunk
        return np.zeros(len(chunk), dtype=bool), None
    seconds = _numbers(stamps.cast(pa.int64()), np.int64)
    return sure & (seconds >= YEAR_ONE), seconds


def _many_date(text):
    seconds, ok = _two_pass(text, np.int64, _cheap_date, _exact_date)
    values = seconds.filled(0).astype("datetime64[s]")
    values[np.ma.getmaskarray(seconds)] = np.datetime64("NaT")
    return values, ok


def _np_int(text) -> np.ndarray:
    return np.asarray(pc.cast(text, pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)


def _exact_boolean(text):
    present = _present(text)
    index = pc.index_in(pc.utf8_lower(_strip(text)), value_set=pa.array(list(BOOLEAN)))
    known = _np(pc.is_valid(index))
    words = np.asarray(pc.fill_null(index, 0).to_numpy(zero_copy_only=False))
    truth = np.array(list(BOOLEAN.values()))[words]
    return np.ma.masked_array(truth, mask=~known), ~present | known


def _cheap_boolean(chunk, cells):
    index = pc.index_in(chunk, value_set=pa.array(list(BOOLEAN)))
    return _np(pc.is_valid(index)), TRUTH[_numbers(index, np.int64)]


TRUTH = np.array(list(BOOLEAN.values()))


def _many_boolean(text):
    return _two_pass(text, bool, _cheap_boolean, _exact_boolean)


# ---- Parquet columns that already hold the type ------------------------------------------------

def _native_integer(column):
    """Stored integers as they are; stored floats (as pandas writes integers with gaps) when whole."""
    if pa.types.is_floating(column.type):
        numbers = np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
        missing = np.isnan(numbers)
        with np.errstate(invalid="ignore"):
            whole = ~missing & (numbers == np.trunc(numbers)) & (np.abs(numbers) < 2.0**63)
        values = np.where(whole, numbers, 0).astype(np.int64)
        return np.ma.masked_array(values, mask=~whole), missing | whole
    return pc.cast(column, pa.int64()), np.ones(len(column), dtype=bool)


def _native_float(column):
    values = pc.cast(column, pa.float64())
    finite = _np(pc.or_kleene(pc.is_finite(values), pc.is_null(values)))
    return _null_where(values, ~finite), finite


def _native_boolean(column):
    return column, np.ones(len(column), dtype=bool)


def _native_date(column):
    values = pc.cast(column, pa.date32()).to_numpy(zero_copy_only=False)
    return values.astype("datetime64[s]"), np.ones(len(column), dtype=bool)


def _is_int(t: pa.DataType) -> bool:
    return (pa.types.is_integer(t) and t != pa.uint64()) or pa.types.is_floating(t)


def _is_float(t: pa.DataType) -> bool:
    return pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t)


def _is_date(t: pa.DataType) -> bool:
    return pa.types.is_date(t)


FAST: dict[str, FastPath] = {
    "id": FastPath(_many_id),
    "text": FastPath(_many_text("text")),
    "source": FastPath(_many_text("source")),
    "integer": FastPath(_many_integer, _is_int, _native_integer),
    "number": FastPath(_many_float("number"), _is_float, _native_float),
    "money": FastPath(_many_float("money"), _is_float, _native_float),
    "percent": FastPath(_many_float("percent"), _is_float, _native_float),
    "date": FastPath(_many_date, _is_date, _native_date),
    "boolean": FastPath(_many_boolean, pa.types.is_boolean, _native_boolean),
}

TYPES: dict[str, ColumnParser] = {name: ColumnParser(kind, FAST.get(name)) for name, kind in DECLARED.items()}
