"""Read raw files exactly as written: every cell as text (Parquet: as stored), plus the file's hash.

Typing and checking belong to validate; ingest only refuses what cannot be read as a table at all
(wrong encoding, broken quoting, ragged rows, a header that does not match the spec). It never
writes to the raw folder.

CSV is read by Arrow in batches while the same bytes are hashed, in one pass over the file. Arrow is
lenient where Python's csv module (strict) refuses, so the quoting is checked on the way (see
QuoteCheck); on anything unusual, or any Arrow error, the file is read again by the exact slow path,
the csv module, which words every message and locates it. File lines are worked out only for rows
that fail. Parquet is read with pyarrow.parquet, workbooks (.xlsx) with python-calamine.
"""

from __future__ import annotations

import codecs
import csv
import ctypes
import hashlib
import os
import re
import threading
from array import array
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from infopipe.concepts.columns import MAX_CELL_CHARS, TYPES, Parsed, is_text, parse_columns
from infopipe.data.workbook_cells import column_letter
from infopipe.errors import InfopipeError, Problem
from infopipe.files import is_pattern, known_sha256, matching_files, raw_file, sha256_files, sha256_once
from infopipe.spec.model import DatasetSpec, Spec

BLOCK = 1 << 20  # bytes hashed (and checked) at a time
# bytes Arrow parses at a time: 8 MiB read as fast as 4 and gives validate half as many chunks to
# walk through (16 MiB read slower); a row longer than this takes the slow path
ARROW_BLOCK = 8 << 20
SLOW_BATCH = 65_536  # rows the slow path keeps as Python strings before making Arrow arrays
MEMORY_SHARE = 8  # the default file-size limit is this fraction of the machine's memory
WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".ods")


def machine_memory() -> int:
    """Bytes of memory this process may use: physical memory, or the container's limit if lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit.isdigit():
            total = min(total, int(limit))
    except OSError:
        pass
    return total


def default_max_file_bytes() -> int:
    """The largest raw file read when the spec sets no max_file_bytes: an eighth of the memory.

    Reading a CSV of n bytes peaks at about 3n (text cells, typed columns, Arrow's buffers), so an
    eighth leaves room for the rest of the run and for other files."""
    return machine_memory() // MEMORY_SHARE


# ---- what a read file is ------------------------------------------------------------------------

@dataclass(frozen=True)
class RawTable:
    """One raw file as read: its cells (text for CSV and workbooks, stored types for Parquet), where
    each row is in the file, and what identifies the file."""

    dataset: str
    path: Path
    name: str  # path relative to the raw folder's parent, as shown in messages and provenance
    sha256: str
    bytes: int
    table: pa.Table  # one column per spec column, in file order, rows 0..n-1
    places: "Places" = field(repr=False)
    typed_ahead: "TypedAhead | None" = field(default=None, repr=False, compare=False)
    origin: dict | None = None  # records read from a database: engine, connection, query, server version

    @property
    def rows(self) -> int:
        return self.table.num_rows

    def file_info(self) -> dict:
        return {"dataset": self.dataset, "path": self.name, "file": self.path.name,
                "sha256": self.sha256, "bytes": self.bytes, "rows": self.rows}

    def text(self, row: int, column: str) -> str:
        """A cell as written in the file (0-based row)."""
        value = self.table.column(column)[row].as_py()
        return "" if value is None else value if isinstance(value, str) else str(value)

    def problems(self, found: list[tuple[str, str, int | None, str | None, str | None]]) -> list[Problem]:
        """Problems for (check, message, 0-based row, column, value) tuples, each located in the file;
        the file lines of all rows are worked out in one pass."""
        typed = self.typed_on_read()
        as_written = {r for _, _, r, c, v in found if r is not None and c in typed and v is not None}
        written: dict[int, list[str]] = {}
        where = self.places.locate(sorted({r for _, _, r, _, _ in found if r is not None}), as_written, written)
        out = []
        for check, message, row, column, value in found:
            if row in written and column in typed and value is not None:  # Arrow typed it: as written
                value = written[row][typed[column]]
            fields = {"file": self.name, **self.places.fields(where, row, column)}
            out.append(Problem(check=check, message=message, value=value, **fields))
        return out

    def typed_on_read(self) -> dict[str, int]:
        """The CSV columns Arrow typed as it read them (see native_types), by their place in the
        file: their text is not kept, so a problem's value is read back from the file."""
        if not isinstance(self.places, CsvLines) or self.places.lines is not None:
            return {}
        return {name: i for i, name in enumerate(self.table.column_names)
                if not is_text(self.table.column(name).type)}


class Places:
    """Where 0-based data rows are in a file: here, by row number only (Parquet)."""

    def locate(self, rows: list[int], keep: set[int] = frozenset(), records: dict | None = None) -> dict:
        """Where each row is; a CSV also puts the cells of the `keep` rows, as written, in `records`."""
        return {}

    def fields(self, where: dict, row: int | None, column: str | None) -> dict:
        return {"row": None if row is None else row + 1, "column": column}


class CsvLines(Places):
    """Rows of a CSV file and their file lines: known from the slow path, or found when asked by one
    pass of the csv module over the start of the file (rows with quoted newlines span lines)."""

    def __init__(self, path: Path, lines: np.ndarray | None = None):
        self.path, self.lines = path, lines

    def locate(self, rows: list[int], keep: set[int] = frozenset(), records: dict | None = None) -> dict:
        if not rows:
            return {}
        if self.lines is not None:
            return {r: int(self.lines[r]) for r in rows}
        return csv_lines(self.path, rows, keep, records)

    def fields(self, where: dict, row: int | None, column: str | None) -> dict:
        return {"row": None if row is None else row + 1, "line": where.get(row), "column": column}


class SheetCells(Places):
    """Rows of a workbook sheet: the sheet's own row numbers, and the column letter of each column."""

    def __init__(self, sheet: str, sheet_rows: np.ndarray, letters: dict[str, str]):
        self.sheet, self.sheet_rows, self.letters = sheet, sheet_rows, letters

    def fields(self, where: dict, row: int | None, column: str | None) -> dict:
        cell = None
        if row is not None and column in self.letters:
            cell = f"{self.letters[column]}{int(self.sheet_rows[row])}"
        return {"sheet": self.sheet, "cell": cell, "column": column,
                "row": None if row is None or cell else row + 1}


# ---- reading ------------------------------------------------------------------------------------

def read_raw_tables(spec: Spec, raw_dir: Path) -> dict[str, RawTable]:
    """Read every dataset the spec names; raise one error listing the problems of all files."""
    tables, problems = {}, []
    for ds in spec.datasets.values():
        try:
            tables[ds.name] = read_raw_table(ds, raw_dir, spec.max_file_bytes)
        except InfopipeError as err:
            problems.extend(err.problems)
    if problems:
        raise InfopipeError("ingest", problems)
    return tables


def read_raw_table(ds: DatasetSpec, raw_dir: Path, max_bytes: int | None = None) -> RawTable:
    if ds.database is not None:
        from infopipe.data.database import arrow_table, latest_rows

        rows = latest_rows(ds)
        return RawTable(ds.name, Path(ds.source), ds.source, rows.sha256, 0, arrow_table(rows), Places(),
                        origin=rows.origin)
    shown = f"{raw_dir.name}/{ds.file}"
    if is_pattern(ds.file):
        return read_parquet_files(ds, raw_dir, max_bytes)
    path = raw_file(raw_dir, ds.file, shown, ds.name)
    size = path.stat().st_size
    refuse_too_large(shown, size, max_bytes)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        table, places, digest = read_parquet(path, shown, ds), Places(), sha256_once(path)
    elif suffix in WORKBOOKS:
        (table, places), digest = read_workbook(path, shown, ds), sha256_once(path)
    else:
        table, places, digest, typed = read_csv_typing_ahead(path, shown, ds)
        return RawTable(ds.name, path, shown, digest, size, table, places, typed)
    return RawTable(ds.name, path, shown, digest, size, table, places)


def refuse_too_large(shown: str, size: int, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise InfopipeError("ingest", [Problem(shown, "file-too-large",
                            f"{size:,} bytes is more than the spec's max_file_bytes ({max_bytes:,}); "
                            "nothing was read. Split the file or raise max_file_bytes in the spec")])
    if max_bytes is None and size > (limit := default_max_file_bytes()):
        raise InfopipeError("ingest", [Problem(shown, "file-too-large",
                            f"{size:,} bytes is more than infopipe reads on this machine ({limit:,}, "
                            f"1/{MEMORY_SHARE} of its memory); nothing was read. Split the file or set "
                            "max_file_bytes in the spec")])


def read_parquet_files(ds: DatasetSpec, raw_dir: Path, max_bytes: int | None) -> RawTable:
    """A folder of Parquet files (`file: events/*.parquet`): one table, the files in name order, each
    read as read_parquet reads one; a problem names the file and the row within it."""
    shown = f"{raw_dir.name}/{ds.file}"
    files = matching_files(raw_dir, ds.file, shown, ds.name)
    size = sum(path.stat().st_size for _, path in files)
    refuse_too_large(shown, size, max_bytes)
    tables, problems = [], []
    for rel, path in files:
        try:
            tables.append(read_parquet(path, f"{raw_dir.name}/{rel}", ds))
        except InfopipeError as err:
            problems += err.problems
    if problems:
        raise InfopipeError("ingest", problems)
    table = pa.concat_tables([t.select(list(tables[0].column_names)) for t in tables], promote_options="permissive")
    starts = np.cumsum([0] + [t.num_rows for t in tables])
    places = FileRows([f"{raw_dir.name}/{rel}" for rel, _ in files], starts)
    return RawTable(ds.name, files[0][1].parent, shown, sha256_files(files), size, table, places)


class FileRows(Places):
    """Rows of several files read as one table: each row's own file and its row number there."""

    def __init__(self, names: list[str], starts: np.ndarray):
        self.names, self.starts = names, starts

    def fields(self, where: dict, row: int | None, column: str | None) -> dict:
        if row is None:
            return {"row": None, "column": column}
        part = int(np.searchsorted(self.starts, row, side="right")) - 1
        return {"file": self.names[part], "row": row - int(self.starts[part]) + 1, "column": column}


# ---- CSV ----------------------------------------------------------------------------------------

def read_csv(path: Path, shown: str, ds: DatasetSpec) -> tuple[pa.Table, Places, str]:
    """Arrow's fast read when it is sure to agree with the csv module; else the exact slow read."""
    table, places, digest, _ = read_csv_typing_ahead(path, shown, ds, ahead=False)
    return table, places, digest


def read_csv_typing_ahead(path: Path, shown: str, ds: DatasetSpec, ahead: bool = True):
    """read_csv, and with `ahead` the typing of each part of the file, started as soon as the part
    is read (see TypedAhead); None as the last item when the file took the slow path."""
    refuse_empty(path, shown)
    typed = TypedAhead(ds) if ahead else None
    fast = _fast_csv(path, ds, typed)
    if fast is not None:
        return fast[0], CsvLines(path), fast[1], typed
    if typed is not None:
        typed.cancel()
    return (*_slow_csv(path, shown, ds), None)


class TypedAhead:
    """Parses each part of a CSV by the spec's column types on a thread of its own while Arrow
    reads the next part. Reading keeps about one and a half of two cores busy; typing the parts as
    they come fills the rest, instead of waiting for the whole file. validate takes the result."""

    PART_ROWS = 500_000

    def __init__(self, ds: DatasetSpec):
        self.types = {name: TYPES[col.type] for name, col in ds.columns.items()}
        self.pool = ThreadPoolExecutor(1)
        self.parts: list[Future] = []
        self.pending: list[pa.RecordBatch] = []
        self.rows = 0

    def add(self, batch: pa.RecordBatch, names: list[str], last: bool = False) -> None:
        if batch is not None:
            self.pending.append(batch)
            self.rows += batch.num_rows
        if self.pending and (self.rows >= self.PART_ROWS or last):
            part = pa.Table.from_batches(self.pending).rename_columns(names)
            self.parts.append(self.pool.submit(parse_columns, self.types, part))
            self.pending, self.rows = [], 0

    def take(self) -> dict[str, Parsed]:
        """Every column, typed, once all parts are done; once only, so the parts are not kept
        alive next to the validated table. Empty if a part failed: validate then parses itself."""
        parts, self.parts = self.parts, []
        try:
            done = [f.result() for f in parts]
        except Exception:  # noqa: BLE001 - validate parses again and reports whatever it was
            return {}
        finally:
            self.pool.shutdown()
        if not done:
            return {}
        return {name: Parsed.concat([p[name] for p in done]) for name in self.types}

    def cancel(self) -> None:
        for f in self.parts:
            f.cancel()
        self.pool.shutdown(wait=True)

    def restart(self) -> None:
        """Drop every part typed so far: the file is being read again from its start."""
        for f in self.parts:
            f.cancel()
        for f in self.parts:
            if not f.cancelled():
                f.exception()  # wait for a running part (its result is dropped)
        self.parts, self.pending, self.rows = [], [], 0


class QuoteCheck:
    """Checks, as bytes stream past, that Arrow will read the quoting as the csv module (strict)
    does. Taking each '"' in turn, even ones must open a quoted cell or be the second of a doubled
    quote (after ',', a line end, the start, or '"'), and odd ones must close it (before ',', a line
    end, the end, or '"'). A file that keeps to this has no quote inside an unquoted cell, nothing
    after a closing quote and no quote left open: there, Arrow and the csv module read the same
    cells. Any other file goes to the slow path, which reads or refuses it exactly."""

    OPENS_AFTER = np.zeros(256, dtype=bool)
    OPENS_AFTER[list(b',\r\n"')] = True

    def __init__(self):
        self.quotes = 0
        self.previous = ord("\n")  # the byte before the block; the start of the file counts as a line end
        self.open_at_end = False  # the last block ended on an odd quote: the next byte decides
        self.ok = True
        self.started = False

    def feed(self, block: bytes) -> None:
        if not self.ok or not block:
            return
        data = np.frombuffer(block, dtype=np.uint8)
        if not self.started:
            self.started = True
            if block.startswith(codecs.BOM_UTF8):
                data = data[3:]
                if not len(data):
                    return
        if self.open_at_end:
            self.open_at_end = False
            if not self.OPENS_AFTER[data[0]]:
                self.ok = False
                return
        at = np.flatnonzero(data == 0x22)
        if len(at):
            parity = (np.arange(len(at)) + self.quotes) % 2
            before = np.where(at > 0, data[np.maximum(at - 1, 0)], self.previous)
            if not self.OPENS_AFTER[before[parity == 0]].all():
                self.ok = False
                return
            closing = at[parity == 1]
            inside = closing[closing + 1 < len(data)]
            if not self.OPENS_AFTER[data[inside + 1]].all():
                self.ok = False
                return
            self.open_at_end = len(closing) > 0 and closing[-1] == len(data) - 1
            self.quotes += len(at)
        self.previous = int(data[-1])

    def finish(self) -> bool:
        """True when the whole file kept to the rule (the end closes a final odd quote)."""
        return self.ok and self.quotes % 2 == 0


class FileCheck:
    """Hashes and quote-checks a file on a thread of its own, reading it on its own (from the page
    cache, normally) while Arrow's reader reads the same path: hashlib and numpy release the GIL, so
    this runs beside Arrow's threads instead of in their way. A file this process hashed already
    (the run's plan did) is not hashed again if its stamp still holds at the end (files.sha256_once)."""

    def __init__(self, path: Path):
        self.path, self.quotes = path, QuoteCheck()
        self.digest = hashlib.sha256() if known_sha256(path) is None else None  # None: the plan hashed it
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with open(self.path, "rb") as handle:
            while not self.stopped and (block := handle.read(BLOCK)):
                if self.digest is not None:
                    self.digest.update(block)
                try:
                    self.quotes.feed(block)
                except Exception:  # noqa: BLE001 - the slow path decides
                    self.quotes.ok = False

    def finish(self) -> str:
        """The file's hash, once every byte is checked (and hashed, unless known and unchanged)."""
        self.thread.join()
        return self.digest.hexdigest() if self.digest is not None else sha256_once(self.path)

    def stop(self) -> None:
        self.stopped = True
        self.thread.join()


def native_types(ds: DatasetSpec) -> dict[str, pa.DataType]:
    """The columns Arrow's reader types itself, as it reads: those whose Arrow type reads exactly a
    subset of the cells infopipe's type reads, to the same values (date32 reads YYYY-MM-DD and a
    real day only; bool reads the six words infopipe reads, in lower case). A cell Arrow refuses
    makes that column be read again as text, then typed by infopipe's parser, which words it.
    Arrow's int64 also reads '0x10' and its float64 '1e5' and 'inf', which infopipe refuses: those
    columns are read as text."""
    arrow = {"date": pa.date32(), "boolean": pa.bool_()}
    return {name: arrow[col.type] for name, col in ds.columns.items() if col.type in arrow}


REFUSED_COLUMN = re.compile(r"In CSV column #(\d+): .*CSV conversion error")


def _fast_csv(path: Path, ds: DatasetSpec, typed: TypedAhead | None = None) -> tuple[pa.Table, str] | None:
    """The file's columns (text, or typed by Arrow where native_types says) and its hash, or None
    when the slow path must read it. Arrow reads the path itself (its own threads, no Python in the
    way); a column Arrow refuses to type is read again as text."""
    header = peek_header(path)
    if header is None or check_header([h.strip() for h in header], "", ds, 1):
        return None
    names = [h.strip() for h in header]
    native = {h: t for h in header if (t := native_types(ds).get(h.strip())) is not None}
    check = FileCheck(path)
    try:
        while True:
            try:
                batches, schema = _arrow_batches(path, header, ds, native, typed, check.quotes)
            except pa.ArrowInvalid as err:
                refused = REFUSED_COLUMN.search(str(err))
                column = header[int(refused.group(1))] if refused and int(refused.group(1)) < len(header) else None
            else:
                column = _before_year_one(batches, schema)
                if column is None:
                    break
            if column not in native:
                return None
            del native[column]  # read it again as text: its typing, and any problem, are infopipe's
            if typed is not None:
                typed.restart()
        if batches is None:
            return None
        digest = check.finish()
    except (pa.ArrowException, OSError, ValueError):
        return None
    finally:
        check.stop()
    table = pa.Table.from_batches(batches, schema) if batches else None
    if table is None or table.num_rows == 0 or not check.quotes.finish():
        return None
    table = table.rename_columns(names)
    if any(longest_cell(table.column(i)) > MAX_CELL_CHARS for i in range(table.num_columns)
           if is_text(table.column(i).type)):
        return None  # the csv module refuses such a cell; the slow path says where
    return table, digest


def _before_year_one(batches: list[pa.RecordBatch] | None, schema: pa.Schema | None) -> str | None:
    """A date column holding a day before 0001-01-01: Arrow reads year 0000, infopipe refuses it."""
    import pyarrow.compute as pc

    for i, kind in enumerate(schema or ()):
        if kind.type == pa.date32():
            earliest = pc.min(pa.chunked_array([b.column(i) for b in batches], pa.date32()).cast(pa.int32())).as_py()
            if earliest is not None and earliest < YEAR_ONE:
                return kind.name
    return None


YEAR_ONE = -719_162  # 0001-01-01 in days from 1970-01-01


def _arrow_batches(path: Path, header: list[str], ds: DatasetSpec, native: dict[str, pa.DataType],
                   typed: TypedAhead | None, quotes: QuoteCheck):
    """Every record batch of the file as Arrow's streaming reader gives them, each handed to `typed`
    as it comes; (None, None) as soon as the quote check fails (the slow path reads the file)."""
    reader = open_reader(path, header, ds, native)
    if reader.schema.names != header:
        return None, None
    names = [h.strip() for h in header]
    batches = []
    for batch in reader:
        if not quotes.ok:
            return None, None
        batches.append(batch)
        if typed is not None:
            typed.add(batch, names)
    if typed is not None:
        typed.add(None, names, last=True)
    _give_back_memory()
    return batches, reader.schema


def open_reader(path: Path, header: list[str], ds: DatasetSpec, native: dict[str, pa.DataType]):
    """Arrow's streaming CSV reader with the spec's types: `native` columns typed by Arrow, the
    others as text; its own threads read ahead."""
    import pyarrow.csv as pacsv

    return pacsv.open_csv(
        path, read_options=pacsv.ReadOptions(block_size=ARROW_BLOCK, use_threads=True),
        memory_pool=pa.system_memory_pool(),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={name: native.get(name) or text_type(ds, name.strip()) for name in header},
            null_values=[""], true_values=["yes", "true", "1"], false_values=["no", "false", "0"],
            strings_can_be_null=False, check_utf8=True))


def _give_back_memory() -> None:
    """Return the reader's freed scratch space (4 MiB blocks, read and parsed) to the OS. glibc
    keeps freed blocks of that size for reuse; at 10M rows that was 300 MiB of peak memory held for
    the rest of the run. The reader allocates from the system pool so that this reaches it."""
    pa.system_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def text_type(ds: DatasetSpec, column: str) -> pa.DataType:
    """Text columns are read as large_string, the layout pandas keeps text in, so the typed column
    shares the read one's buffers; other columns as string (half the offsets), as they are parsed."""
    col = ds.columns.get(column)
    return pa.large_string() if col is not None and TYPES[col.type].text_like else pa.string()


def longest_cell(column: pa.ChunkedArray) -> int:
    """Characters in the longest cell, counted only where a cell has more bytes than the limit."""
    import pyarrow.compute as pc

    longest = 0
    for chunk in column.chunks:
        if len(chunk) and pc.max(pc.binary_length(chunk)).as_py() > MAX_CELL_CHARS:
            longest = max(longest, pc.max(pc.utf8_length(chunk)).as_py())
    return longest


def peek_header(path: Path) -> list[str] | None:
    """The header as the csv module reads it (first non-blank record), or None if that fails."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as text:
            for record in csv.reader(text, strict=True):
                if record and record != [""]:
                    return record
    except (UnicodeDecodeError, csv.Error):
        return None
    return None


def refuse_empty(path: Path, shown: str) -> None:
    """An empty file (or only spaces and line ends) is named as such, before anything is read."""
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            if block.strip():
                return
    raise InfopipeError("ingest", [Problem(shown, "empty-file", "the file is empty: it needs at "
                        "least a header line naming the columns")])


def _check_encoding(path: Path, shown: str) -> str:
    """UTF-8 only (a BOM is accepted and dropped); anything else is named with its line. Streams,
    and returns the file's hash."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    digest = hashlib.sha256()
    offset, lines = 0, 0
    with open(path, "rb") as handle:
        while True:
            block = handle.read(BLOCK)
            digest.update(block)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as err:
                # err.object is what the decoder held back from the last block (the start of a
                # character, never a line end) followed by this block
                at = offset - (len(err.object) - len(block)) + err.start
                _encoding_error(path, shown, at, lines + block[:max(at - offset, 0)].count(b"\n"))
            if not block:
                return digest.hexdigest()
            offset += len(block)
            lines += block.count(b"\n")


def _encoding_error(path: Path, shown: str, at: int, newlines_before: int):
    with open(path, "rb") as handle:
        handle.seek(at)
        byte = handle.read(1)[0]
    hint = " (0xA3 is '£' in Windows-1252/Latin-1)" if byte == 0xA3 else ""
    raise InfopipeError("ingest", [Problem(shown, "encoding",
                        f"not UTF-8: byte 0x{byte:02X} at offset {at}{hint}; save the "
                        "file as 'CSV UTF-8'", line=newlines_before + 1)])


def _slow_csv(path: Path, shown: str, ds: DatasetSpec) -> tuple[pa.Table, Places, str]:
    """The exact read: Python's csv module (strict), every problem worded and located."""
    digest = _check_encoding(path, shown)
    with open(path, encoding="utf-8-sig", newline="") as text:
        header, columns, lines = _parse_csv(text, shown, ds)
    table = pa.table({name: pa.chunked_array(parts, pa.string()).cast(text_type(ds, name))
                      for name, parts in zip(header, columns)})
    return table, CsvLines(path, lines), digest


def _parse_csv(text, shown: str, ds: DatasetSpec) -> tuple[list[str], list[list[pa.Array]], np.ndarray]:
    reader = csv.reader(text, strict=True)
    problems: list[Problem] = []
    rows: list[list[str]] = []
    done: list[list[pa.Array]] = []
    lines = array("q")  # the file line of each row, 8 bytes a row
    count = 0
    header: list[str] | None = None
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not record or record == [""]:
                continue  # blank line
            if header is None:
                header = [h.strip() for h in record]
                problems += check_header(header, shown, ds, line)
                if problems:
                    break
                done = [[] for _ in header]
                continue
            if len(record) != len(header):
                problems.append(Problem(shown, "field-count", f"has {len(record)} fields, the header "
                                f"has {len(header)}: a truncated line or a stray delimiter",
                                row=count + 1, line=line))
                continue
            count += 1
            if problems:
                continue  # the file is refused: keep counting rows for the messages, not their cells
            rows.append(record)
            lines.append(line)
            if len(rows) == SLOW_BATCH:
                _flush(rows, done)
    except csv.Error as err:
        reason = str(err)
        if reason.startswith("field larger than field limit"):
            reason += (f": a cell is longer than {MAX_CELL_CHARS:,} characters, the most infopipe "
                       "reads in one cell")
        problems.append(Problem(shown, "csv-syntax", f"cannot be read as CSV: {reason} (an unclosed "
                        "quote, or a truncated file?)", row=count + 1, line=start))
    if header is None:
        raise InfopipeError("ingest", [Problem(shown, "empty-file", "the file is empty: it needs at "
                            "least a header line naming the columns")])
    if not problems and not count:
        problems.append(Problem(shown, "no-rows", "has a header but no data rows", line=2))
    if problems:
        raise InfopipeError("ingest", problems)
    _flush(rows, done)
    return header, done, np.frombuffer(lines, dtype=np.int64) if count else np.zeros(0, np.int64)


def _flush(rows: list[list[str]], done: list[list[pa.Array]]) -> None:
    for i, part in enumerate(done):
        part.append(pa.array([r[i] for r in rows], pa.string()))
    rows.clear()


def csv_lines(path: Path, rows: list[int], keep: set[int] = frozenset(), records: dict | None = None
              ) -> dict[int, int]:
    """The file line on which each wanted 0-based data row starts, by one csv pass over the file
    up to the last wanted row (the same counting as the slow path); the cells of the `keep` rows go
    to `records`."""
    wanted, found = set(rows), {}
    last = max(rows)
    with open(path, encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text, strict=True)
        start, row, header = 1, -1, False
        for record in reader:
            line, start = start, reader.line_num + 1
            if not record or record == [""]:
                continue
            if not header:
                header = True
                continue
            row += 1
            if row in wanted:
                found[row] = line
                if row in keep and records is not None:
                    records[row] = record
            if row >= last:
                break
    return found


def check_header(header: list[str], shown: str, ds: DatasetSpec, line: int | None,
                  cells: list[str] | None = None, sheet: str | None = None) -> list[Problem]:
    expected = list(ds.columns)
    where = {"line": line} if sheet is None else {"sheet": sheet}

    def at(name: str) -> dict:
        if cells is None or name not in header:
            return where
        return {**where, "cell": cells[header.index(name)]}

    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        sep = next(s for s in ";\t|" if s in header[0])
        return [Problem(shown, "delimiter", f"the header is one field containing {sep!r}: the file "
                "seems separated by it; infopipe reads comma-separated files", value=header[0], **where)]
    problems = []
    for name in sorted({h for h in header if header.count(h) > 1}):
        problems.append(Problem(shown, "duplicate-column", "column named twice in the header",
                                column=name, **at(name)))
    for name in expected:
        if name not in header:
            problems.append(Problem(shown, "missing-column", f"required by dataset '{ds.name}'",
                                    column=name, **where))
    for name in header:
        if name not in expected:
            problems.append(Problem(shown, "unknown-column", "not declared in the spec: declare it "
                            f"under datasets.{ds.name}.columns or remove it (unknown columns are "
                            "refused so a misspelt name cannot hide data)", column=name, **at(name)))
    return problems


# ---- Parquet ------------------------------------------------------------------------------------

def read_parquet(path: Path, shown: str, ds: DatasetSpec) -> pa.Table:
    """A Parquet file's columns with their stored types, so typed data is not turned into text and
    back: validate takes a stored int, float, decimal, bool or date column as it is, and reads text
    columns (and any other stored type, as text) with the same parsers as CSV cells."""
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(path)
        header = list(source.schema_arrow.names)
    except (pa.ArrowException, OSError) as err:
        raise InfopipeError("ingest", [Problem(shown, "parquet", f"cannot be read as Parquet: {err}")])
    problems = check_header([h.strip() for h in header], shown, ds, None)
    if problems:
        raise InfopipeError("ingest", problems)
    try:
        table = source.read()
    except (pa.ArrowException, OSError) as err:
        raise InfopipeError("ingest", [Problem(shown, "parquet", f"cannot be read as Parquet: {err}")])
    table = table.rename_columns([h.strip() for h in header])
    columns, problems = {}, []
    for name in table.column_names:
        column, problem = _plain_column(table.column(name))
        if problem:
            problems.append(Problem(shown, "parquet-type", problem, column=name))
        columns[name] = column
    if not problems and table.num_rows == 0:
        problems.append(Problem(shown, "no-rows", "has a header but no data rows"))
    if problems:
        raise InfopipeError("ingest", problems)
    return pa.table(columns)


def _plain_column(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, str | None]:
    """A stored column as plain Arrow values; text nulls become empty cells, as in a CSV."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.cast(kind.value_type), kind.value_type
    if pa.types.is_null(kind):
        return pa.chunked_array([pa.array([""] * len(column), pa.string())]), None
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        import pyarrow.compute as pc
        return pc.fill_null(column.cast(pa.string()), ""), None
    plain = (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
             or pa.types.is_boolean(kind) or pa.types.is_date(kind) or pa.types.is_timestamp(kind))
    if not plain:
        return column, (f"holds {kind} values; infopipe reads text, numbers, dates, times and "
                        "booleans (one value per cell)")
    return column, None


# ---- workbooks ----------------------------------------------------------------------------------

def read_workbook(path: Path, shown: str, ds: DatasetSpec) -> tuple[pa.Table, SheetCells]:
    """One sheet of a workbook as text cells, as a person would have typed them: numbers without a
    needless '.0', dates as YYYY-MM-DD, true/false. Blank rows are skipped, as blank CSV lines are."""
    import python_calamine as calamine

    try:
        book = calamine.CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
    except (calamine.CalamineError, OSError, ValueError) as err:
        raise InfopipeError("ingest", [Problem(shown, "workbook", f"cannot be read as a workbook: {err}")])
    sheet_name = ds.sheet
    if sheet_name is None and len(names) == 1:
        sheet_name = names[0]
    if sheet_name not in names:
        listed = ", ".join(repr(n) for n in names)
        message = (f"dataset '{ds.name}' names sheet {sheet_name!r}, which is not in the workbook "
                   f"(it has {listed})" if sheet_name is not None else
                   f"the workbook has several sheets ({listed}); name the one for dataset "
                   f"'{ds.name}' with 'sheet:' in the spec")
        raise InfopipeError("ingest", [Problem(shown, "sheet-missing", message)])
    try:
        sheet = book.get_sheet_by_name(sheet_name)
        grid = sheet.to_python(skip_empty_area=True)
        first_row, first_col = sheet.start or (0, 0)
    except (calamine.CalamineError, OSError, ValueError) as err:
        raise InfopipeError("ingest", [Problem(shown, "workbook", f"cannot be read as a workbook: {err}",
                                               sheet=sheet_name)])
    rows = [(i, [_cell_text(v) for v in r]) for i, r in enumerate(grid)]
    rows = [(i, r) for i, r in rows if any(r)]
    if not rows:
        raise InfopipeError("ingest", [Problem(shown, "empty-file", "the sheet is empty: it needs at "
                            "least a header row naming the columns", sheet=sheet_name)])
    (header_at, header), data = rows[0], rows[1:]
    width = len(header)
    while width and not header[width - 1] and not any(r[width - 1] for _, r in data):
        width -= 1  # formatted but empty columns at the right
    header = [h.strip() for h in header[:width]]
    letters = [column_letter(first_col + j) for j in range(width)]
    header_row = first_row + header_at + 1
    problems = check_header(header, shown, ds, None, [f"{c}{header_row}" for c in letters], sheet_name)
    if problems:
        problems += _title_row_hint(rows, header_at, first_row, first_col, shown, ds, sheet_name)
    if not problems and not data:
        problems.append(Problem(shown, "no-rows", "has a header but no data rows", sheet=sheet_name))
    problems += _odd_cell_problems(path, shown, sheet_name, grid, first_row, first_col, header)
    if problems:
        raise InfopipeError("ingest", problems)
    table = pa.table({name: pa.array([r[j] for _, r in data], pa.string()) for j, name in enumerate(header)})
    sheet_rows = np.array([first_row + i + 1 for i, _ in data], dtype=np.int64)
    return table, SheetCells(sheet_name, sheet_rows, dict(zip(header, letters)))


def _title_row_hint(rows, header_at: int, first_row: int, first_col: int, shown: str, ds: DatasetSpec,
                    sheet: str) -> list[Problem]:
    """A title above the header is a common layout: say where the header is, once."""
    wanted = set(ds.columns)
    for i, row in rows[1:20]:
        if wanted <= {c.strip() for c in row}:
            return [Problem(shown, "header-not-first", f"row {first_row + i + 1} holds the column names, "
                    f"below row {first_row + header_at + 1}: the header must be the first row of the "
                    "sheet; delete the rows above it (a title, notes)", sheet=sheet,
                    cell=f"{column_letter(first_col)}{first_row + header_at + 1}")]
    return []


ODD_CELLS = {
    "error": ("cell-error", "is an error cell ({value}): correct the formula or type the value; an error "
              "is never read as an empty cell"),
    "formula-no-value": ("cell-formula", "holds a formula with no saved result (the program that wrote "
                         "the workbook did not calculate it): open and save it in a spreadsheet program, "
                         "or type the value"),
    "serial-60": ("impossible-date", "holds 1900-02-29, a day that never was (Excel counts 1900 as a "
                  "leap year): type the real date"),
}


def _odd_cell_problems(path: Path, shown: str, sheet: str, grid: list, first_row: int, first_col: int,
                       header: list[str]) -> list[Problem]:
    """Cells calamine would read as empty or as another day (see workbook_cells)."""
    import datetime as dt

    from infopipe.data.workbook_cells import odd_cells

    problems = []
    for odd in odd_cells(path, sheet):
        r, c = odd.row - first_row - 1, odd.col - first_col
        if odd.kind == "serial-60" and not (0 <= r < len(grid) and 0 <= c < len(grid[r])
                                            and isinstance(grid[r][c], dt.date)):
            continue  # the number 60, not a date
        check, message = ODD_CELLS[odd.kind]
        column = header[c] if 0 <= c < len(header) else None
        problems.append(Problem(shown, check, message.format(value=odd.value), sheet=sheet, cell=odd.cell,
                                column=column or None))
    return problems


def _cell_text(value) -> str:
    import datetime as dt

    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**63:
            return str(int(value))
        return np.format_float_positional(value, trim="-")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)
