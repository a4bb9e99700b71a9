"""What python-calamine does not say about a workbook's cells: it reads an error cell (#DIV/0!,
#N/A, #REF!) and a formula with no saved result as empty, and Excel's day 60 (1900-02-29, a day
that never was: Excel counts 1900 as a leap year) as 1900-02-28. Read as it reads them, a broken
cell would pass as a blank or as another day, so these are found here, by reading the sheet's XML
(.xlsx, .xlsm, .ods) with the standard library: no maintained reader reports them and calamine's
speed is worth keeping for the values. An .xls (binary BIFF8) is read with xlrd, which types each
cell (XL_CELL_ERROR, XL_CELL_DATE); it does not say which cells are formulas (it keeps only their
saved result, and an empty one as the text ''), so that one fact is read from the sheet's FORMULA
records here (a dozen lines over xlrd's decoded stream).
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
CALCEXT = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!",
          "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"}
FAKE_LEAP_DAY = 60  # Excel's serial number for 1900-02-29


@dataclass(frozen=True)
class OddCell:
    cell: str  # A1 notation
    kind: str  # 'error', 'formula-no-value', 'serial-60'
    value: str = ""

    @property
    def row(self) -> int:
        return int(re.sub(r"^[A-Z]+", "", self.cell))

    @property
    def col(self) -> int:
        letters = re.match(r"[A-Z]+", self.cell).group(0)
        index = 0
        for ch in letters:
            index = index * 26 + ord(ch) - ord("A") + 1
        return index - 1


def odd_cells(path: Path, sheet: str) -> list[OddCell]:
    """Error cells, formulas without a saved value, and numbers that are Excel's day 60, in a sheet."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            return _xlsx(path, sheet)
        if suffix == ".ods":
            return _ods(path, sheet)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return []  # calamine read it; a layout this scan does not know is left to calamine
    if suffix == ".xls":
        return _xls(path, sheet)
    return []


def _xlsx(path: Path, sheet: str) -> list[OddCell]:
    with zipfile.ZipFile(path) as book:
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        rid = next(s.get(f"{REL}id") for s in workbook.iter(f"{MAIN}sheet") if s.get("name") == sheet)
        rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
        target = next(r.get("Target") for r in rels.iter(f"{PKG_REL}Relationship") if r.get("Id") == rid)
        member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        found = []
        with book.open(member) as xml:
            for _, cell in ElementTree.iterparse(xml):
                if cell.tag != f"{MAIN}c":
                    continue
                ref, kind = cell.get("r"), cell.get("t", "n")
                value = cell.findtext(f"{MAIN}v")
                if kind == "e":
                    found.append(OddCell(ref, "error", value or ""))
                elif cell.find(f"{MAIN}f") is not None and not value and kind != "inlineStr":
                    found.append(OddCell(ref, "formula-no-value", ""))
                elif kind == "n" and value and _is_leap_day(value):
                    found.append(OddCell(ref, "serial-60", value))
                cell.clear()
        return found


def _xls(path: Path, sheet: str) -> list[OddCell]:
    """Error cells and day-60 date cells as xlrd types them, and formulas whose saved result is
    empty (BIFF keeps a result for every formula; a program that does not calculate, xlwt for one,
    saves an empty one), in sheet order."""
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except (xlrd.XLRDError, OSError, ValueError, struct.error, IndexError, KeyError):
        return []  # calamine read it; a file xlrd cannot is left to calamine (README)
    try:
        if sheet not in book.sheet_names():
            return []
        index = book.sheet_names().index(sheet)
        grid, found = book.sheet_by_index(index), {}
        for r in range(grid.nrows):
            for c, cell in enumerate(grid.row(r)):
                if cell.ctype == xlrd.XL_CELL_ERROR:
                    found[r, c] = OddCell(f"{column_letter(c)}{r + 1}", "error",
                                          xlrd.error_text_from_code.get(cell.value, f"error {cell.value}"))
                elif cell.ctype == xlrd.XL_CELL_DATE and book.datemode == 0 and _is_leap_day(str(cell.value)):
                    found[r, c] = OddCell(f"{column_letter(c)}{r + 1}", "serial-60", str(cell.value))
        for r, c in _empty_formulas(book.mem, book._sh_abs_posn[index]):  # xlrd's offset of the sheet
            found.setdefault((r, c), OddCell(f"{column_letter(c)}{r + 1}", "formula-no-value"))
        return [found[k] for k in sorted(found)]
    finally:
        book.release_resources()


FORMULA, BOF, EOF = 0x0006, 0x0809, 0x000A  # BIFF8 record types


def _empty_formulas(stream: bytes, start: int):
    """(row, column) of each FORMULA record with an empty saved result (MS-XLS FormulaValue: bytes
    6-7 0xFFFF, byte 0 type 3) in the sheet substream at `start` (nested chart substreams skipped)."""
    at, depth = start, 0
    while at + 4 <= len(stream):
        code, size = struct.unpack_from("<HH", stream, at)
        data, at = stream[at + 4:at + 4 + size], at + 4 + size
        if code == BOF:
            depth += 1
        elif code == EOF:
            depth -= 1
            if depth <= 0:
                return
        elif code == FORMULA and depth == 1 and size >= 14 and data[12:14] == b"\xff\xff" and data[6] == 3:
            yield struct.unpack_from("<HH", data)


def _is_leap_day(value: str) -> bool:
    try:
        return FAKE_LEAP_DAY <= float(value) < FAKE_LEAP_DAY + 1
    except ValueError:
        return False


def _ods(path: Path, sheet: str) -> list[OddCell]:
    with zipfile.ZipFile(path) as book:
        root = ElementTree.fromstring(book.read("content.xml"))
    table = next(t for t in root.iter(f"{TABLE}table") if t.get(f"{TABLE}name") == sheet)
    found, row = [], 0
    for tr in table.iter(f"{TABLE}table-row"):
        rows = int(tr.get(f"{TABLE}number-rows-repeated", "1"))
        col = 0
        for cell in tr:
            repeat = int(cell.get(f"{TABLE}number-columns-repeated", "1"))
            formula = cell.get(f"{TABLE}formula")
            if formula is not None:
                text = "".join(cell.itertext()).strip()
                kind = None
                if cell.get(f"{CALCEXT}value-type") == "error" or text in ERRORS:
                    kind = "error"
                elif cell.get(f"{OFFICE}value-type") is None:
                    kind = "formula-no-value"
                if kind:
                    found += [OddCell(f"{column_letter(col + j)}{row + i + 1}", kind, text)
                              for i in range(min(rows, 1000)) for j in range(min(repeat, 1000))]
            col += repeat
        row += rows
    return found


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the column's name in A1 notation."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
