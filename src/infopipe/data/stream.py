"""Big CSV files validated piece by piece, straight into their Parquet file, so that memory holds one
piece of the file at a time, not the file.

Each piece (PIECE_ROWS rows as Arrow's reader gives them) is typed, checked by pandera, checked
against the tables it references and appended to the Parquet file; its failing cells are kept (at
most LISTED per column and check, the rest counted). Held for the whole file: the tables a reference
names (read whole, never streamed), and for the uniqueness check nothing while the ids come in
order; else the ids are read back from the Parquet file at the end and hashed (8 bytes per id), and
the rows whose hashes collide compared as text, so duplicate ids are worded as the whole-table path
words them.

A file streams when it is a CSV of at least INFOPIPE_STREAM_BYTES bytes (256 MiB by default) and no
other dataset references it. Anything the fast path would not read as the csv module does (odd
quoting, a cell Arrow reads differently, a cell over the size limit) is found while streaming: the
pieces written are then dropped and the file goes the whole-table way, which reads or refuses it
exactly, word for word.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from infopipe.concepts.columns import MAX_CELL_CHARS, is_text
from infopipe.data import ingest
from infopipe.data.ingest import CsvLines, RawTable
from infopipe.data.validate import (LISTED, Found, _arrow_strings, _hashes, _listed, _more, check_table,
                                    fold_id, id_found, more_count, reference_found, statistics_kept,
                                    strictly_increasing)
from infopipe.errors import InfopipeError
from infopipe.files import HashedWriting, is_pattern, raw_file
from infopipe.spec.model import DatasetSpec, Spec

STREAM_BYTES = "INFOPIPE_STREAM_BYTES"
DEFAULT_STREAM_BYTES = 256 << 20
PIECE_ROWS = 1_000_000


def stream_bytes() -> int:
    return int(os.environ.get(STREAM_BYTES, DEFAULT_STREAM_BYTES))


def streams(spec: Spec, name: str, raw_dir: Path) -> bool:
    """Is this dataset validated piece by piece? A CSV file of at least stream_bytes() that no
    other dataset references (a referenced table is held whole, to look its keys up)."""
    ds = spec.datasets[name]
    if ds.database is not None or is_pattern(ds.file) or Path(ds.file).suffix.lower() not in ("", ".csv", ".txt"):
        return False
    if any(c.references and c.references[0] == name for d in spec.datasets.values() for c in d.columns.values()):
        return False
    path = raw_dir / ds.file
    return path.is_file() and path.stat().st_size >= stream_bytes()


@dataclass
class Validated:
    """A dataset validated into its Parquet file: the file as read, its rows, and how it was read."""

    spec: DatasetSpec
    raw: RawTable
    rows: int
    streamed: bool


def validate_to_parquet(spec: Spec, names: list[str], raw_dir: Path, outs: dict[str, Path],
                        today: dt.date | None = None) -> dict[str, Validated]:
    """Each named dataset validated into its Parquet file (`outs`): big CSV files piece by piece,
    the others whole, together with the tables they reference; one InfopipeError with the problems
    of every dataset read whole, or of the first streamed one that fails."""
    from infopipe.data.ingest import read_raw_tables
    from infopipe.data.validate import validate_tables, write_table

    def linked(among) -> set[str]:
        return {c.references[0] for n in among for c in spec.datasets[n].columns.values() if c.references}

    def whole(among) -> dict:
        subset = spec.model_copy(update={"datasets": {n: d for n, d in spec.datasets.items() if n in among}})
        return validate_tables(subset, read_raw_tables(subset, raw_dir), today) if among else {}

    streamed = [n for n in names if streams(spec, n, raw_dir)]
    tables = whole({n for n in names if n not in streamed} | linked(names))
    out = {}
    for name in names:
        if name in streamed:
            targets = {n: tables[n] for n in linked([name])}
            out[name] = validate_streaming(spec, name, raw_dir, outs[name], {n: t.frame for n, t in targets.items()},
                                           {n: t.raw.name for n, t in targets.items()}, today)
            if out[name] is not None:
                continue
            tables.update(whole({name} | set(targets)))  # the whole-table way reads or refuses it exactly
        write_table(tables[name], outs[name])
        out[name] = Validated(spec.datasets[name], tables[name].raw, tables[name].rows, False)
    return out


class Tally:
    """Failing cells gathered over the pieces: at most LISTED per check and column (with global rows),
    the rest counted into one line each."""

    def __init__(self):
        self.kept: list[Found] = []
        self.seen: Counter = Counter()
        self.more: Counter = Counter()

    def add(self, found: list[Found], offset: int) -> None:
        for check, message, row, column, value in found:
            if row is None:
                extra = more_count((check, message, row, column, value))
                if extra is None:
                    self.kept.append((check, message, row, column, value))
                else:
                    self.more[(check, column)] += extra
                continue
            key = (check, column)
            self.seen[key] += 1
            if self.seen[key] <= LISTED:
                self.kept.append((check, message, row + offset, column, value))
            else:
                self.more[key] += 1

    def found(self, order) -> list[Found]:
        return sorted(self.kept, key=order) + [_more(c, col, n) for (c, col), n in self.more.items()]


class IdTally:
    """Whether the primary key's ids came in strictly increasing order over every piece, which rules
    out duplicates without comparing any and holds nothing per row. Only when they did not are the ids
    read back from the Parquet file, a row group at a time, and hashed (8 bytes per id)."""

    def __init__(self, ds: DatasetSpec):
        self.key = ds.primary_key if ds.primary_key in ds.columns else None
        self.as_id = self.key is not None and ds.columns[self.key].type == "id"
        self.in_order, self.last = True, None

    def folded(self, strings: pa.ChunkedArray) -> pa.ChunkedArray:
        return pc.ascii_lower(strings) if self.as_id else fold_id(strings)

    def add(self, frame: pd.DataFrame) -> None:
        if self.key is None or not self.in_order:
            return
        ids = frame[self.key]
        if not isinstance(ids.dtype, pd.StringDtype):
            self.in_order = False  # numbers are hashed at the end
            return
        folded = self.folded(_arrow_strings(ids))
        if len(folded):
            first = folded[0].as_py()
            self.in_order = strictly_increasing(folded) and (self.last is None or first is None or self.last < first)
            self.last = folded[len(folded) - 1].as_py()

    def hashes(self, column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
        if not is_text(column.type):
            values = column.to_numpy(zero_copy_only=False).astype("float64")
            return values.view(np.uint64).copy(), ~np.isnan(values)
        if self.as_id:
            return _hashes(column, fold_case=True, any_length=True)
        return _hashes(self.folded(column), any_length=True)

    def found(self, written: Path) -> list[Found]:
        """Duplicate and near-duplicate ids over the whole file, worded as check_ids words them."""
        if self.key is None or self.in_order:
            return []
        parquet = pq.ParquetFile(written)
        parts = [self.hashes(parquet.read_row_group(i, columns=[self.key]).column(0))
                 for i in range(parquet.num_row_groups)]
        hashes, present = np.concatenate([h for h, _ in parts]), np.concatenate([p for _, p in parts])
        order = np.sort(hashes[present])
        twice = order[1:][order[1:] == order[:-1]]
        if not len(twice):
            return []
        rows = np.flatnonzero(present & np.isin(hashes, np.unique(twice)))
        starts = np.cumsum([0] + [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)])
        values = []  # the colliding ids as stored, from the row groups that hold them
        for group in np.unique(np.searchsorted(starts, rows, side="right") - 1).tolist():
            inside = rows[(rows >= starts[group]) & (rows < starts[group + 1])] - starts[group]
            values += parquet.read_row_group(group, columns=[self.key]).column(0).take(pa.array(inside)).to_pylist()
        value = dict(zip(rows.tolist(), values))  # the id as stored, for the message
        return [(c, m, r, col, str(value[r])) for c, m, r, col, _ in
                id_found(self.key, pd.Series(values, dtype=object), rows)]


class FallBack(Exception):
    """The file is not one the fast path reads as the csv module does: read it whole."""


def validate_streaming(spec: Spec, name: str, raw_dir: Path, out: Path, targets: dict[str, pd.DataFrame],
                       shown_targets: dict[str, str], today: dt.date) -> Validated | None:
    """Validate one big CSV piece by piece into `out` (Parquet, written whole or not at all). None
    when the file must be read whole instead (see the module's docstring); InfopipeError with
    every problem found, as validate_tables words them."""
    ds, today = spec.datasets[name], today or dt.datetime.now(dt.timezone.utc).date()
    shown = f"{raw_dir.name}/{ds.file}"
    path = raw_file(raw_dir, ds.file, shown, ds.name)
    size = path.stat().st_size
    if spec.max_file_bytes is not None:
        ingest.refuse_too_large(shown, size, spec.max_file_bytes)
    ingest.refuse_empty(path, shown)
    header = ingest.peek_header(path)
    if header is None or ingest.check_header([h.strip() for h in header], "", ds, 1):
        return None
    tmp = out.with_suffix(".parquet.tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    native = {h: t for h in header if (t := ingest.native_types(ds).get(h.strip())) is not None}
    check, kept = ingest.FileCheck(path), False
    try:
        while True:
            try:
                result = _pieces(spec, ds, path, shown, size, header, native, check, tmp, targets, shown_targets,
                                 today)
                break
            except pa.ArrowInvalid as err:  # a column Arrow refused to type: read it again as text
                refused = ingest.REFUSED_COLUMN.search(str(err))
                column = header[int(refused.group(1))] if refused and int(refused.group(1)) < len(header) else None
                if column not in native:
                    return None
                del native[column]
            except _Refused as err:
                if err.column not in native:
                    return None
                del native[err.column]
        digest = check.finish()
        kept = check.quotes.finish()
        if not kept:
            return None
    except (FallBack, pa.ArrowException, OSError, ValueError):
        return None
    finally:
        check.stop()
        if not kept:
            tmp.unlink(missing_ok=True)  # read whole instead: nothing of this pass is kept
    raw, rows, problems = result(digest)
    if problems:
        tmp.unlink(missing_ok=True)
        raise InfopipeError("validate", problems)
    tmp.replace(out)
    return Validated(ds, raw, rows, True)


class _Refused(Exception):
    """A date column holds a day before year one, which Arrow reads and infopipe refuses."""

    def __init__(self, column: str):
        self.column = column


def _pieces(spec, ds, path, shown, size, header, native, check, tmp, targets, shown_targets, today):
    """One pass over the file; returns a function of the file's hash giving (raw, rows, problems)."""
    names = [h.strip() for h in header]
    reader = ingest.open_reader(path, header, ds, native)
    if reader.schema.names != header:
        raise FallBack()
    parsing, checking, referencing, ids = Tally(), Tally(), Tally(), IdTally(ds)
    offset, written = 0, PieceWriter(tmp)
    try:
        for batches in _ahead(in_groups(_quoted_right(reader, check), PIECE_ROWS)):  # the next is read meanwhile
            piece = pa.Table.from_batches(batches).rename_columns(names)
            _refuse_what_csv_reads_otherwise(piece, header)
            raw = RawTable(ds.name, path, shown, "", size, piece, CsvLines(path))
            frame, parsed, checked = check_table(ds, raw, spec.locale, today, ids=False)
            parsing.add(parsed, offset)
            checking.add(checked, offset)
            referencing.add(reference_found(ds, frame, targets, shown_targets), offset)
            ids.add(frame)
            written.add(pa.Table.from_pandas(frame, preserve_index=False))
            offset += piece.num_rows
            del piece, raw, frame  # freed for the next piece to reuse, not given back (see below)
        any_rows = written.close()
        # Given back once, not after every piece: 10M rows, 1.4 s of CPU (in 740,000 page faults of
        # zeroed memory) bought 500 MiB less at the peak, which the pieces bound either way.
        ingest._give_back_memory()
    except BaseException:
        written.abort()
        raise
    if not any_rows:
        raise FallBack()  # no rows: the whole-table way says so
    columns = list(ds.columns)
    checking.kept += ids.found(tmp)

    def finish(digest: str):
        raw = RawTable(ds.name, path, shown, digest, size, pa.Table.from_batches([], reader.schema)
                       .rename_columns(names), CsvLines(path))
        found = (parsing.found(lambda f: (columns.index(f[3]) if f[3] in columns else -1, f[2] or 0))
                 + checking.found(lambda f: (0 if f[2] is None else f[2] + 1, f[3] or "")))
        return raw, offset, raw.problems(_listed(found)) + raw.problems(referencing.found(lambda f: 0))

    return finish


class PieceWriter:
    """Pieces appended to one Parquet file (validated pieces, a figure's records), each written on a
    thread of its own while the next one is made (at most one waits), and hashed as written
    (files.HashedWriting). Without a `schema`, the first piece's types hold for the file."""

    def __init__(self, path: Path, schema: pa.Schema | None = None):
        self.path, self.saving = path, ThreadPoolExecutor(1)
        self.writer, self.sink, self.schema, self.pending = None, None, None, None
        if schema is not None:
            self._open(schema)

    def _open(self, schema: pa.Schema) -> None:
        self.schema, self.sink = schema, HashedWriting(self.path)
        self.writer = pq.ParquetWriter(self.sink, schema, write_statistics=statistics_kept(schema))

    def add(self, table: pa.Table) -> None:
        if self.writer is None:
            self._open(table.schema)
        if self.pending is not None:
            self.pending.result()
        self.pending = self.saving.submit(self.writer.write_table,
                                          table if table.schema == self.schema else table.cast(self.schema))

    def close(self) -> bool:
        """Waits for the last piece and closes the file; False when it was never opened (no schema
        given, no piece came: nothing written)."""
        try:
            if self.pending is not None:
                self.pending.result()
        finally:
            self.saving.shutdown(wait=True)
        if self.writer is None:
            return False
        self.writer.close()
        self.sink.close()
        return True

    def abort(self) -> None:
        """Stops writing and removes the file."""
        self.saving.shutdown(wait=True)
        try:
            if self.writer is not None:
                self.writer.close()
        finally:
            if self.sink is not None:
                self.sink.close()
            self.path.unlink(missing_ok=True)


def _ahead(pieces):
    """The pieces, each read on a thread of its own while the one before is checked (Arrow's reader
    releases the GIL): at most one piece waits."""
    waiting: queue.Queue = queue.Queue(maxsize=1)
    done = object()
    stop = threading.Event()

    def read() -> None:
        try:
            for piece in pieces:
                while not stop.is_set():
                    try:
                        waiting.put(piece, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            waiting.put(done)
        except BaseException as err:  # noqa: BLE001 - raised where the pieces are taken
            waiting.put(err)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while (item := waiting.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while reader.is_alive():
            try:
                waiting.get_nowait()
            except queue.Empty:
                pass
            reader.join(0.05)


def _quoted_right(reader, check):
    """Arrow's record batches; stops the file's way (FallBack) as soon as the quote check fails."""
    for batch in reader:
        if not check.quotes.ok:
            raise FallBack()
        yield batch


def in_groups(batches, rows: int):
    """Record batches in lists of at least `rows` rows (the last one shorter); empty batches dropped."""
    group, held = [], 0
    for batch in batches:
        if batch.num_rows:
            group.append(batch)
            held += batch.num_rows
        if held >= rows:
            yield group
            group, held = [], 0
    if group:
        yield group


def _refuse_what_csv_reads_otherwise(piece: pa.Table, header: list[str]) -> None:
    """The fast path's two cell checks, per piece: a day before year one (Arrow reads it), a cell
    longer than the csv module reads."""
    for i, field in enumerate(piece.schema):
        column = piece.column(i)
        if field.type == pa.date32() and len(column):
            earliest = pc.min(column.cast(pa.int32())).as_py()
            if earliest is not None and earliest < ingest.YEAR_ONE:
                raise _Refused(header[i])
        if is_text(field.type) and ingest.longest_cell(column) > MAX_CELL_CHARS:
            raise FallBack()
