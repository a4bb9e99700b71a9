"""The columnar data path: Arrow's fast read agrees with the exact csv-module read, failing rows are
located by row and file line however deep they are, Parquet and workbook inputs, and the size limit."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infopipe.data import ingest
from infopipe.files import sha256_file
from infopipe.errors import InfopipeError, Problem
from infopipe.data.ingest import QuoteCheck, read_raw_table, read_raw_tables
from infopipe.spec.model import ColumnSpec, DatasetSpec, load_spec
from infopipe.data.validate import validate_tables

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2025, 6, 1)


def scale_data():
    spec = importlib.util.spec_from_file_location("scale_data", ROOT / "benchmarks" / "scale_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def problems_of(fn, *args) -> list[str]:
    with pytest.raises(InfopipeError) as caught:
        fn(*args)
    return [str(p) for p in caught.value.problems]


# ---- the fast read agrees with the exact one -----------------------------------------------------

TWO = DatasetSpec(name="t", file="t.csv", primary_key="a", columns={"a": ColumnSpec(name="a", type="text"), "b": ColumnSpec(name="b", type="text")})


def slow_or_error(path: Path):
    try:
        table, _, digest = ingest._slow_csv(path, "t.csv", TWO)
        return table.to_pylist(), digest
    except InfopipeError as err:
        return str(err)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
          deadline=None)
@given(body=st.lists(st.sampled_from(['a', ',', '"', '\n', '\r', ' ', 'é', '""', '\r\n']), max_size=30)
       .map("".join))
def test_fast_read_agrees_with_the_csv_module(tmp_path, body):
    path = tmp_path / "t.csv"
    path.write_bytes(("a,b\n" + body).encode())
    fast = ingest._fast_csv(path, TWO)
    if fast is not None:  # whenever Arrow's read is taken, it is exactly what the csv module reads
        assert slow_or_error(path) == (fast[0].to_pylist(), fast[1])


@pytest.mark.parametrize("body, slow", [
    ('"ab"c,d\n', True),  # text after a closing quote: the csv module refuses it, Arrow would not
    ('"x" ,d\n', True),
    ('x,"y\n', True),  # a quote left open to the end of the file
    ('x,""""\n', False),  # a doubled quote inside a quoted cell: both read '"'
    ('x,"y\nz"\n', False),  # a quoted line break
    (' x"y",d\n', True),  # a quote inside an unquoted cell
])
def test_quoting_that_arrow_reads_leniently_takes_the_slow_path(tmp_path, body, slow):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n" + body, encoding="utf-8")
    assert (ingest._fast_csv(path, TWO) is None) == slow


def test_quote_check_reads_across_block_boundaries():
    text = b'a,b\n"x,""y""",z\n"p",q\n'
    for size in (1, 2, 3, 5):
        check = QuoteCheck()
        for i in range(0, len(text), size):
            check.feed(text[i:i + size])
        assert check.finish(), size
    check = QuoteCheck()
    for i in range(0, 10, 3):
        check.feed(b'a,b\n"x"y,z'[i:i + 3])
    assert not check.finish()


def test_the_hash_is_the_hash_of_the_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n" + b"x,y\n" * 100_000)
    table, _, digest = ingest.read_csv(path, "t.csv", TWO)
    assert digest == sha256_file(path) and table.num_rows == 100_000


# ---- failing rows deep in a big file ------------------------------------------------------------

def test_bad_cells_deep_in_a_big_file_are_located_by_row_and_line(tmp_path):
    spec_path = scale_data().write_project(tmp_path, 100_000)
    events = tmp_path / "raw" / "events.csv"
    lines = events.read_bytes().split(b"\n")
    # row 10 gets a title with a quoted line break, so every later row sits one line further down
    cells = lines[10].split(b",")
    cells[1] = b'"Talk\nnumber 2"'
    lines[10] = b",".join(cells)
    cells = lines[50_000].split(b",")
    cells[4] = b"2019-02-30"  # start_date of row 50,000
    lines[50_000] = b",".join(cells)
    cells = lines[99_990].split(b",")
    cells[6] = b"99999999999999999999"  # attendees beyond int64
    lines[99_990] = b",".join(cells)
    events.write_bytes(b"\n".join(lines))
    before = events.read_bytes()

    spec = load_spec(spec_path)
    raw = read_raw_tables(spec, tmp_path / "raw")
    assert raw["events"].places.lines is None  # Arrow read it: lines were not worked out
    found = problems_of(validate_tables, spec, raw, TODAY)
    assert found == [
        "raw/events.csv, row 10, line 11, column 'title': [control-character] contains the control "
        "character U+000A at position 5; remove it (control characters are invisible and break files "
        "and tools downstream) (value: 'Talk\\nnumber 2')",
        "raw/events.csv, row 50000, line 50002, column 'start_date': [type:date] no such date in the "
        "calendar (value: '2019-02-30')",
        "raw/events.csv, row 99990, line 99992, column 'attendees': [type:integer] a whole number beyond "
        "the 64-bit range (-9,223,372,036,854,775,808 to 9,223,372,036,854,775,807); is it an id or a "
        "code? declare the column as text or id (value: '99999999999999999999')",
    ]
    assert events.read_bytes() == before  # raw files are never written to


def test_a_big_clean_file_validates_and_types_every_column(tmp_path):
    spec = load_spec(scale_data().write_project(tmp_path, 20_000))
    tables = validate_tables(spec, read_raw_tables(spec, tmp_path / "raw"), TODAY)
    frame = tables["events"].frame
    assert len(frame) == 20_000
    assert {c: str(t) for c, t in frame.dtypes.items()} == {
        "event_id": "str", "title": "str", "category": "str", "venue_id": "str",
        "start_date": "datetime64[s]", "end_date": "datetime64[s]", "attendees": "Int64",
        "ticket_income_gbp": "Float64", "online": "boolean", "source": "str"}
    text = (tmp_path / "raw" / "events.csv").read_text(encoding="utf-8").splitlines()
    pounds, pence = text[4].split(",")[7:9]  # row 4 is written the UK way: "£41,804.25"
    assert pounds.startswith('"£') and pence.endswith('"')
    assert frame["ticket_income_gbp"].iloc[3] == float(pounds[2:] + pence[:-1])
    assert frame["title"].iloc[0].endswith(", part 2")  # a quoted comma


def test_typing_ahead_in_parts_gives_the_same_table_and_rows(tmp_path, monkeypatch):
    """Ingest types a big file part by part while reading; the parts join into exactly the table
    validate would make, and a bad cell in a late part keeps its row and line."""
    spec = load_spec(scale_data().write_project(tmp_path, 20_000))
    events = tmp_path / "raw" / "events.csv"
    lines = events.read_bytes().split(b"\n")
    cells = lines[17_002].split(b",")  # data row 17,002: nothing quoted in it
    cells[8] = b"maybe"
    lines[17_002] = b",".join(cells)
    events.write_bytes(b"\n".join(lines))
    monkeypatch.setattr(ingest.TypedAhead, "PART_ROWS", 3_000)
    monkeypatch.setattr(ingest, "ARROW_BLOCK", 64 << 10)  # batches of about 500 rows
    raw = read_raw_tables(spec, tmp_path / "raw")
    assert len(raw["events"].typed_ahead.parts) >= 6
    ahead = raw["events"].typed_ahead.take()
    from infopipe.data.validate import parse_table
    frame, found, _ = parse_table(spec.datasets["events"], raw["events"])  # parsed again, whole
    pd_testing = pytest.importorskip("pandas.testing")
    for name, parsed in ahead.items():
        pd_testing.assert_series_equal(parsed.values, frame[name], check_names=False)
    assert [f[:4] for f in found] == [("type:boolean", "write yes or no", 17_001, "online")]
    raw = read_raw_tables(spec, tmp_path / "raw")
    assert problems_of(validate_tables, spec, raw, TODAY) == [
        "raw/events.csv, row 17002, line 17003, column 'online': [type:boolean] write yes or no "
        "(value: 'maybe')"]


def test_too_many_failures_are_counted_not_listed(tmp_path):
    spec_path = scale_data().write_project(tmp_path, 3_000)
    text = spec_path.read_text(encoding="utf-8").replace("attendees: {type: integer, min: 0}",
                                                         "attendees: {type: integer, min: 1000}")
    spec_path.write_text(text, encoding="utf-8")
    spec = load_spec(spec_path)
    found = problems_of(validate_tables, spec, read_raw_tables(spec, tmp_path / "raw"), TODAY)
    assert len(found) == 1001
    assert found[-1] == ("raw/events.csv, column 'attendees': [min] and 2,000 more rows fail this check "
                         "(the first 1,000 are listed)")
    events = tmp_path / "raw" / "events.csv"
    text = re.sub(r",(20\d\d)-(\d\d)-(\d\d)", r",\3/\2/\1", events.read_text(encoding="utf-8"))
    events.write_text(text, encoding="utf-8")  # every date written the UK way
    found = problems_of(validate_tables, spec, read_raw_tables(spec, tmp_path / "raw"), TODAY)
    dates = [p for p in found if "column 'start_date'" in p]
    assert len(dates) == 1001 and dates[0].endswith("[type:date] a date is written YYYY-MM-DD "
                                                      f"(value: '{dates[0].split(chr(39))[-2]}')")
    assert dates[-1] == ("raw/events.csv, column 'start_date': [type:date] and 2,000 more rows fail this "
                         "check (the first 1,000 are listed)")


# ---- encodings, limits ------------------------------------------------------------------------

def test_a_bad_byte_after_a_bom_is_named_where_it_is(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xef\xbb\xbfa,b\nx,\xa3y\n")
    assert problems_of(ingest.read_csv, path, "t.csv", TWO) == [
        "t.csv, line 2: [encoding] not UTF-8: byte 0xA3 at offset 9 (0xA3 is '£' in "
        "Windows-1252/Latin-1); save the file as 'CSV UTF-8'"]


def test_a_cell_longer_than_the_limit_is_refused_with_its_cause(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\nx,y\nx," + "z" * 140_000 + "\n", encoding="utf-8")
    assert problems_of(ingest.read_csv, path, "t.csv", TWO) == [
        "t.csv, row 2, line 3: [csv-syntax] cannot be read as CSV: field larger than field limit "
        "(131072): a cell is longer than 131,072 characters, the most infopipe reads in one cell (an "
        "unclosed quote, or a truncated file?)"]


def test_the_default_limit_comes_from_the_machines_memory():
    assert ingest.default_max_file_bytes() == ingest.machine_memory() // 8
    assert ingest.machine_memory() > 100 * 2**20


BIG_FILE_CHILD = textwrap.dedent("""
    import json, resource, sys
    from pathlib import Path
    from infopipe.errors import InfopipeError
    from infopipe.data.ingest import read_raw_table
    from infopipe.spec.model import ColumnSpec, DatasetSpec
    folder, limit = Path(sys.argv[1]), (None if sys.argv[2] == "none" else int(sys.argv[2]))
    ds = DatasetSpec(name="t", file="t.csv", primary_key="a", columns={"a": ColumnSpec(name="a", type="text")})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        read_raw_table(ds, folder, limit)
        message = None
    except InfopipeError as err:
        message = str(err.problems[0])
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps({"message": message, "grown_kib": grown}))
""")


@pytest.mark.parametrize("limit", ["20000000", "none"])
def test_a_file_above_the_limit_is_refused_before_it_is_read(tmp_path, limit):
    """In a process of its own, so its peak memory is its own: a sparse file larger than the limit
    (the spec's, or the machine's default) is refused, and memory does not grow by its size."""
    size = 300_000_000 if limit != "none" else ingest.default_max_file_bytes() + 1
    with open(tmp_path / "t.csv", "wb") as handle:
        handle.write(b"a\nx\n")
        handle.truncate(size)  # sparse: no disk used, and reading it would cost its full size
    out = subprocess.run([sys.executable, "-c", BIG_FILE_CHILD, str(tmp_path), limit], check=True,
                         capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "src")}).stdout
    result = json.loads(out)
    assert "[file-too-large]" in result["message"] and f"{size:,} bytes" in result["message"]
    assert result["grown_kib"] < 20 * 1024


# ---- Parquet and workbooks ---------------------------------------------------------------------

EVENTS = DatasetSpec(name="events", file="events.parquet", primary_key="event_id", columns={
    "event_id": ColumnSpec(name="event_id", type="id"),
    "start_date": ColumnSpec(name="start_date", type="date"),
    "attendees": ColumnSpec(name="attendees", type="integer", min=0),
    "amount": ColumnSpec(name="amount", type="money", nullable=True),
    "online": ColumnSpec(name="online", type="boolean"),
    "note": ColumnSpec(name="note", type="text", nullable=True),
})


def spec_with(ds: DatasetSpec):
    from infopipe.spec.model import Spec
    return Spec.model_construct(project="p", title="t", max_file_bytes=None, datasets={ds.name: ds})


def test_parquet_is_read_with_its_own_types(tmp_path):
    table = pa.table({
        "event_id": ["EV-1", "EV-2", "EV-3"],
        "start_date": pa.array([dt.date(2019, 1, 2), dt.date(2020, 5, 6), dt.date(2021, 7, 8)]),
        "attendees": pa.array([10, 20, 30], pa.int32()),
        "amount": pa.array([1.5, None, 2.25]),
        "online": [True, False, True],
        "note": pa.array(["a", None, "=SUM(A1)"]).dictionary_encode(),
    })
    pq.write_table(table, tmp_path / "events.parquet")
    spec = spec_with(EVENTS)
    raw = read_raw_tables(spec, tmp_path)
    assert raw["events"].sha256 == sha256_file(tmp_path / "events.parquet")
    assert problems_of(validate_tables, spec, raw, TODAY) == [
        f"{tmp_path.name}/events.parquet, row 3, column 'note': [type:text] looks like a spreadsheet "
        "formula; write the plain text (a formula could run when the data is opened in a spreadsheet) "
        "(value: '=SUM(A1)')"]
    table = table.set_column(5, "note", pa.array(["a", None, "b"]))
    pq.write_table(table, tmp_path / "events.parquet")
    frame = validate_tables(spec, read_raw_tables(spec, tmp_path), TODAY)["events"].frame
    assert frame["attendees"].tolist() == [10, 20, 30] and str(frame["attendees"].dtype) == "Int64"
    assert frame["start_date"].iloc[1] == dt.datetime(2020, 5, 6)
    assert frame["amount"].isna().tolist() == [False, True, False]
    assert frame["note"].isna().tolist() == [False, True, False]  # a Parquet null is an empty cell


def test_parquet_header_problems_and_unreadable_files(tmp_path):
    pq.write_table(pa.table({"event_id": ["x"], "extra": [1]}), tmp_path / "events.parquet")
    found = problems_of(read_raw_table, EVENTS, tmp_path)
    assert f"{tmp_path.name}/events.parquet, column 'extra': [unknown-column]" in found[-1]
    (tmp_path / "events.parquet").write_bytes(b"not parquet at all")
    found = problems_of(read_raw_table, EVENTS, tmp_path)
    assert found[0].startswith(f"{tmp_path.name}/events.parquet: [parquet] cannot be read as Parquet:")


def write_workbook(path: Path, rows_by_sheet: dict[str, list[list]], at=(0, 0)) -> None:
    xlsxwriter = pytest.importorskip("xlsxwriter")
    book = xlsxwriter.Workbook(str(path))
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in rows_by_sheet.items():
        sheet = book.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(at[0] + i, at[1] + j, dt.datetime.combine(value, dt.time()), dates)
                elif value is not None:
                    sheet.write(at[0] + i, at[1] + j, value)
    book.close()


XLSX = DatasetSpec(name="events", file="events.xlsx", primary_key="event_id", columns={
    "event_id": ColumnSpec(name="event_id", type="id"),
    "start_date": ColumnSpec(name="start_date", type="date"),
    "attendees": ColumnSpec(name="attendees", type="integer"),
    "online": ColumnSpec(name="online", type="boolean"),
}, sheet="Events")


def test_workbook_cells_are_read_as_typed_and_bad_cells_named_by_sheet_and_cell(tmp_path):
    rows = [["event_id", "start_date", "attendees", "online"]]
    rows += [[f"EV-{i}", dt.date(2019, 1, 1) + dt.timedelta(days=i), 2016.0 + i, i % 2 == 0]
             for i in range(1, 13)]
    rows[12][1] = "14/03/2019"  # the 12th data row: sheet row 14 (header in row 2, as below)
    write_workbook(tmp_path / "events.xlsx", {"Notes": [["read me"]], "Events": rows}, at=(1, 1))
    spec = spec_with(XLSX)
    raw = read_raw_tables(spec, tmp_path)
    found = problems_of(validate_tables, spec, raw, TODAY)
    assert found == [f"{tmp_path.name}/events.xlsx, sheet 'Events', cell C14, column 'start_date': "
                     "[type:date] a date is written YYYY-MM-DD (value: '14/03/2019')"]
    rows[12][1] = dt.date(2019, 3, 14)
    write_workbook(tmp_path / "events.xlsx", {"Notes": [["read me"]], "Events": rows}, at=(1, 1))
    frame = validate_tables(spec, read_raw_tables(spec, tmp_path), TODAY)["events"].frame
    assert frame["attendees"].tolist() == list(range(2017, 2029))  # 2017.0 in the sheet
    assert frame["start_date"].iloc[11] == dt.datetime(2019, 3, 14)
    assert frame["online"].tolist() == [i % 2 == 0 for i in range(1, 13)]


def test_workbook_sheet_and_header_problems(tmp_path):
    write_workbook(tmp_path / "events.xlsx", {"Data": [["event_id"], ["EV-1"]], "Other": [["x"]]})
    assert problems_of(read_raw_table, XLSX, tmp_path) == [
        f"{tmp_path.name}/events.xlsx: [sheet-missing] dataset 'events' names sheet 'Events', which is "
        "not in the workbook (it has 'Data', 'Other')"]
    write_workbook(tmp_path / "events.xlsx", {"Events": [["event_id", "start_date", "attendees",
                                                          "online", "notes"], ["EV-1", "2019-01-01", 1,
                                                                               "yes", "x"]]})
    assert problems_of(read_raw_table, XLSX, tmp_path) == [
        f"{tmp_path.name}/events.xlsx, sheet 'Events', cell E1, column 'notes': [unknown-column] not "
        "declared in the spec: declare it under datasets.events.columns or remove it (unknown columns "
        "are refused so a misspelt name cannot hide data)"]


def test_problem_names_sheet_and_cell_in_that_order():
    p = Problem("events.xlsx", "type:date", "a date is written YYYY-MM-DD", sheet="Events", cell="C14")
    assert str(p) == "events.xlsx, sheet 'Events', cell C14: [type:date] a date is written YYYY-MM-DD"
    assert p.to_dict() == {"file": "events.xlsx", "check": "type:date", "sheet": "Events", "cell": "C14",
                           "message": "a date is written YYYY-MM-DD"}
