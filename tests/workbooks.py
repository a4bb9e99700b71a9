"""Small workbooks made in the tests from a CSV (never files from elsewhere): .xlsx with xlsxwriter,
.ods with odfpy, .xls with xlwt; with odd cells written as a spreadsheet program would save them
(in .xls a formula's error result is written into xlwt's FORMULA record, which saves no result)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from infopipe.data.workbook_cells import column_letter


def csv_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def write_workbook(path: Path, rows: list[list[str]], sheet: str, *, before: tuple[str, ...] = (),
                   title: str | None = None, cells: dict[str, dict] | None = None) -> None:
    """`rows` (text, dates as YYYY-MM-DD written as date cells) on sheet `sheet`, after sheets
    `before`, below a `title` row if given; `cells` overrides cells by A1 reference:
    {"formula": "=1/0", "result": "#DIV/0!"} (result "" for none) or {"serial": 60} (a date cell)."""
    grid = ([[title]] if title else []) + [list(r) for r in rows]
    overrides = cells or {}
    writer = {".xlsx": _xlsx, ".ods": _ods, ".xls": _xls}[path.suffix.lower()]
    writer(path, grid, sheet, before, overrides)


def _value(text: str):
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def _cells(grid, overrides):
    for i, row in enumerate(grid):
        for j, text in enumerate(row):
            ref = f"{column_letter(j)}{i + 1}"
            yield i, j, overrides.get(ref), _value(text)


def _xlsx(path, grid, sheet, before, overrides):
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for name in before:
        book.add_worksheet(name).write(0, 0, "notes")
    ws = book.add_worksheet(sheet)
    for i, j, odd, value in _cells(grid, overrides):
        if odd and "formula" in odd:
            ws.write_formula(i, j, odd["formula"], None, odd["result"])
        elif odd and "serial" in odd:
            ws.write_number(i, j, odd["serial"], dates)
        elif isinstance(value, dt.date):
            ws.write_datetime(i, j, dt.datetime.combine(value, dt.time()), dates)
        elif value != "":
            ws.write_string(i, j, value)
    book.close()


def _ods(path, grid, sheet, before, overrides):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name in [*before, sheet]:
        table = Table(name=name)
        for i, row in enumerate(grid if name == sheet else [["notes"]]):
            tr = TableRow()
            for j, text in enumerate(row):
                odd = overrides.get(f"{column_letter(j)}{i + 1}") if name == sheet else None
                value = _value(text)
                if odd and "formula" in odd:
                    cell = TableCell(formula="of:" + odd["formula"])  # no value type: nothing saved
                    if odd["result"]:
                        cell = TableCell(formula="of:" + odd["formula"], valuetype="string", stringvalue="")
                        cell.addElement(P(text=odd["result"]))
                elif isinstance(value, dt.date):
                    cell = TableCell(valuetype="date", datevalue=value.isoformat())
                    cell.addElement(P(text=value.isoformat()))
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=value))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))


class _FormulaWithError:
    """An xlwt cell: a FORMULA record whose saved result is an error (MS-XLS FormulaValue: type 2,
    the error code in byte 2, 0xFFFF in bytes 6-7), as Excel saves =1/0; xlwt itself saves none."""

    __slots__ = ("rowx", "colx", "xf_idx", "frmla", "code")

    def __init__(self, rowx, colx, xf_idx, frmla, code):
        self.rowx, self.colx, self.xf_idx, self.frmla, self.code = rowx, colx, xf_idx, frmla, code

    def get_biff_data(self):
        import struct

        import xlwt

        record = xlwt.BIFFRecords.FormulaRecord(self.rowx, self.colx, self.xf_idx, self.frmla.rpn())
        result = struct.pack("<Q", 0xFFFF000000000002 | self.code << 16)
        record._rec_data = record._rec_data[:6] + result + record._rec_data[14:]
        return record.get()


def _xls(path, grid, sheet, before, overrides):
    import xlrd
    import xlwt

    book = xlwt.Workbook()
    dates = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for name in before:
        book.add_sheet(name).write(0, 0, "notes")
    ws = book.add_sheet(sheet, cell_overwrite_ok=True)
    codes = {text: code for code, text in xlrd.error_text_from_code.items()}  # xlwt's own map lacks #N/A
    for i, j, odd, value in _cells(grid, overrides):
        if odd and "formula" in odd:  # xlwt saves every formula with an empty result (it does not calculate)
            ws.write(i, j, xlwt.Formula(odd["formula"].lstrip("=")), dates)
            if odd["result"]:  # the error Excel would have saved as its result
                ws.row(i).insert_cell(j, _FormulaWithError(i, j, book.add_style(dates),
                                                           xlwt.Formula(odd["formula"].lstrip("=")), codes[odd["result"]]))
        elif odd and "serial" in odd:
            ws.write(i, j, odd["serial"], dates)
        elif isinstance(value, dt.date):
            ws.write(i, j, dt.datetime.combine(value, dt.time()), dates)
        elif value != "":
            ws.write(i, j, value)
    book.save(str(path))
