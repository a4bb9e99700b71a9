"""Turn raw cells into typed, checked tables, reporting every failure of every dataset at once.

Three stages, so each message says exactly what is wrong:
1. parse: each column is read at once as its declared type (columns.py); a bad number or date is
   named with its value;
2. Pandera checks the typed table lazily against a schema built from the spec (required cells,
   allowed values, ranges, no future dates, date order); unique and near-duplicate ids are checked
   here by hashing, because Pandera's uniqueness check costs seconds per million rows;
3. references between tables.
Nothing runs per row on the way when the data is good; rows are located in the file only when they
fail.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as arrow
import pyarrow.compute as pc

from infopipe.concepts.columns import RE2_SPACE, TYPES, CellError, is_text, localised_money, offset_type
from infopipe.concepts.constraints import Declared, declared_on
from infopipe.concepts.words import DEFAULT_LOCALE, language
from infopipe.errors import InfopipeError, Problem
from infopipe.data.ingest import RawTable
from infopipe.spec.model import ColumnSpec, DatasetSpec, Spec

if TYPE_CHECKING:
    import pandera.pandas as pa

DTYPES = {name: t.dtype for name, t in TYPES.items()}
LISTED = 1_000  # problems listed per column and check; the rest are counted in one more line
WORKERS = 2  # columns parsed at once (Arrow and numpy release the GIL)
SPACE_RUN = re.compile(r"\s+")

Found = tuple[str, str, "int | None", "str | None", "str | None"]  # check, message, row, column, value


@dataclass(frozen=True)
class ValidTable:
    """A dataset that passed every check: typed values plus the raw file it came from."""

    spec: DatasetSpec
    frame: pd.DataFrame
    raw: RawTable

    @property
    def rows(self) -> int:
        return len(self.frame)

    def record_ids(self, mask: pd.Series | None = None) -> list[str]:
        ids = self.frame[self.spec.primary_key]
        return sorted(ids[mask] if mask is not None else ids)


def validate_tables(spec: Spec, raw: dict[str, RawTable], today: dt.date | None = None) -> dict[str, ValidTable]:
    """Parse and check every dataset; raise one InfopipeError with all problems of all datasets."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    problems: list[Problem] = []
    typed: dict[str, pd.DataFrame] = {}
    for name, table in raw.items():
        frame, parsing, checking = check_table(spec.datasets[name], table, spec.locale, today)
        problems += table.problems(_listed(parsing + checking))
        typed[name] = frame
    problems += check_references(spec, raw, typed)
    if problems:
        raise InfopipeError("validate", problems)
    return {name: ValidTable(spec.datasets[name], typed[name], raw[name]) for name in raw}


def check_table(ds: DatasetSpec, table: RawTable, locale: str, today: dt.date, ids: bool = True
                ) -> tuple[pd.DataFrame, list[Found], list[Found]]:
    """One table (or one piece of a big file, without `ids`) typed and checked: the typed frame, the
    cells that failed to parse, and the failures of the checks (a cell that failed to parse is not
    reported again by a check)."""
    frame, parsing, failed = parse_table(ds, table, locale)
    checking = [f for f in check_schema(ds, table, frame, today, ids)
                if f[2] is None or f[3] not in failed or not failed[f[3]][f[2]]]
    return frame, parsing, checking


def parse_table(ds: DatasetSpec, table: RawTable, locale: str = DEFAULT_LOCALE
                ) -> tuple[pd.DataFrame, list[Found], dict[str, np.ndarray]]:
    """Every column at once by its type: the typed frame, the failing cells (worded by the type's
    cell parser) and, per column, which rows failed. Money follows the locale's style."""
    ahead = table.typed_ahead.take() if table.typed_ahead is not None else {}
    lang = language(locale)

    def parse(col: ColumnSpec):
        kind = TYPES[col.type]
        local_money = col.type == "money" and bool(lang.money_input)
        if local_money:
            parsed = kind.parse(localised_money(table.table.column(col.name), lang.money_input))
        else:
            parsed = ahead.get(col.name) or kind.parse(table.table.column(col.name))
        found = []
        failed = np.flatnonzero(parsed.failed)
        for row in failed[:LISTED].tolist():
            text = table.text(row, col.name)
            err = kind.explain(text) if not local_money else CellError(lang.money_words, "type:money")
            found.append((err.check, str(err), row, col.name, text))
        if len(failed) > LISTED:  # the rest are not worded one by one
            found.append(_more(kind.check, col.name, len(failed) - LISTED))
        return parsed, found

    columns = list(ds.columns.values())
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(parse, columns))
    frame = pd.DataFrame({c.name: p.values for c, (p, _) in zip(columns, results)}, copy=False)
    failed = {c.name: p.failed for c, (p, _) in zip(columns, results)}
    return frame, [f for _, found in results for f in found], failed


def parse_cell(text: str, col: ColumnSpec):
    """One cell as its declared type; None for an empty cell; ValueError says what is wrong."""
    return TYPES[col.type].parse_one(text)


def _more(check: str, column: str | None, count: int) -> Found:
    return (check, f"and {count:,} more rows fail this check (the first {LISTED:,} are listed)",
            None, column, None)


_MORE = re.compile(r"and ([\d,]+) more rows fail this check \(")


def more_count(found: Found) -> int | None:
    """The rows a `_more` line counts; None for any other problem."""
    hit = _MORE.match(found[1]) if found[2] is None and found[4] is None else None
    return int(hit.group(1).replace(",", "")) if hit else None


def _listed(found: list[Found]) -> list[Found]:
    """At most LISTED problems per column and check, then one line counting the rest, so a wrong
    column type over millions of rows gives a readable report in bounded memory."""
    seen: dict[tuple, int] = {}
    count_at: dict[tuple, int] = {}
    out: list = []
    for item in found:
        if item[2] is None:  # already a count, or not about a row
            out.append(item)
            continue
        key = (item[0], item[3])
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= LISTED:
            out.append(item)
        elif key not in count_at:
            count_at[key] = len(out)
            out.append(None)  # replaced by the count below
    for key, at in count_at.items():
        out[at] = _more(key[0], key[1], seen[key] - LISTED)
    return out


def _declared(ds: DatasetSpec) -> tuple[dict[str, list[Declared]], list[Declared]]:
    """Each column's constraints and the frame-level ones, in the order the schema holds them."""
    columns: dict[str, list[Declared]] = {}
    frame: list[Declared] = []
    for col in ds.columns.values():
        for constraint in declared_on(col):
            (frame if constraint.on_frame else columns.setdefault(col.name, [])).append(Declared(constraint, col))
    return columns, frame


def build_schema(ds: DatasetSpec, today: dt.date) -> "pa.DataFrameSchema":
    """The Pandera schema for one dataset, built from its spec and the constraint registry
    (concepts/constraints.py; ids are checked by check_ids). Pandera is imported here, not with the
    module: a run that reuses every typed table should not pay its 0.8 s import."""
    pa = load_pandera()  # the constraints' checks then import pandera as loaded here

    by_column, frame = _declared(ds)
    columns = {col.name: pa.Column(DTYPES[col.type], nullable=col.nullable,
                                   checks=[d.constraint.check(col, today) for d in by_column.get(col.name, [])])
               for col in ds.columns.values()}
    return pa.DataFrameSchema(columns, checks=[d.constraint.check(d.column, today) for d in frame],
                              strict=True, ordered=False)


def load_pandera():
    """pandera.pandas, its built-in checks loaded without Hypothesis unless this process already
    uses Hypothesis. pandera imports Hypothesis whenever it is installed (a test dependency here),
    only to generate data from a schema, which a run never does: 0.4 s of every cold run. A process
    that has Hypothesis loaded (the tests) keeps pandera's strategies. One thread at a time: two
    projects validated at once (build-all) must not import pandera's parts in crossing orders."""
    import sys

    with _PANDERA_LOCK:
        if "hypothesis" in sys.modules or "pandera.backends.pandas.builtin_checks" in sys.modules:
            import pandera.backends.pandas.builtin_checks  # noqa: F401
            import pandera.pandas
            return pandera.pandas
        sys.modules["hypothesis"] = None  # type: ignore[assignment]  # makes `import hypothesis` fail
        try:
            import pandera.backends.pandas.builtin_checks  # noqa: F401  (imports Hypothesis if it can)
            import pandera.pandas
        finally:
            del sys.modules["hypothesis"]
        return pandera.pandas


_PANDERA_LOCK = threading.Lock()


def check_schema(ds: DatasetSpec, table: RawTable, frame: pd.DataFrame, today: dt.date,
                 ids: bool = True) -> list[Found]:
    """Pandera's checks and the id checks, side by side on two threads (both spend their time in
    numpy, pandas and Arrow, which release the GIL). Without `ids`, pandera's only (a piece of a
    big file: its ids are checked across the pieces, data/stream.py)."""
    def pandera() -> list[Found]:
        load_pandera()
        from pandera.errors import SchemaErrors

        schema = build_schema(ds, today)
        for name, column in schema.columns.items():
            if not frame[name].hasnans:  # nothing to leave out: pandera would copy the column to do it
                for check in column.checks:
                    check.ignore_na = False
        try:
            schema.validate(frame, lazy=True, inplace=True)  # checks only: no copy of the frame
        except SchemaErrors as err:
            return _found_from_pandera(err.failure_cases, table, ds, today)
        return []

    with ThreadPoolExecutor(WORKERS) as pool:
        doubles = pool.submit(check_ids, ds, frame) if ids else None
        checked = pandera()
        found = [(c, m, row, col, table.text(row, col)) for c, m, row, col, _ in
                 (doubles.result() if doubles else [])]
    found += checked
    return sorted(found, key=lambda f: (0 if f[2] is None else f[2] + 1, f[3] or ""))


def _found_from_pandera(cases: pd.DataFrame, table: RawTable, ds: DatasetSpec, today: dt.date) -> list[Found]:
    """Problems from pandera's failure cases: each failing check is found by its position in the
    schema (`check_number`), so its constraint and words come from the registry, not from its text."""
    builtin = {"not_nullable": ("required", "must be filled in")}
    by_column, frame = _declared(ds)
    found = {}
    for case in cases.itertuples(index=False):
        row = int(case.index) if pd.notna(case.index) else None
        column = case.column if isinstance(case.column, str) else None
        number = int(case.check_number) if pd.notna(case.check_number) else None
        declared = frame if case.schema_context == "DataFrameSchema" else by_column.get(column, [])
        if number is not None and number < len(declared):  # one of ours; pandera's own have no number
            one = declared[number]
            check, message, column = one.constraint.name, one.message(today), one.column.name
        else:
            check, message = builtin.get(str(case.check), (str(case.check), str(case.check)))
        value = None if pd.isna(case.failure_case) else str(case.failure_case)
        if column in table.table.column_names and row is not None:
            value = table.text(row, column)
        found[(row, column, check)] = (check, message, row, column, value)
    return list(found.values())


# ---- ids: unique, and unique again ignoring case and spaces ----------------------------------

def check_ids(ds: DatasetSpec, frame: pd.DataFrame) -> list[Found]:
    """Duplicate ids, and ids that differ from another only by case or spaces, without a Python
    call per id: ids are hashed as a person compares them (case and spaces ignored), the hashes
    sorted, and only the ids whose hashes collide are compared as text."""
    key = ds.primary_key
    if not key or key not in frame:
        return []
    ids = frame[key]
    if not isinstance(ids.dtype, pd.StringDtype):
        same = _duplicated_values(ids)
        return [("duplicate-id", f"the same {key} is used on another row", int(r), key, None)
                for r in np.flatnonzero(same)]
    strings = _arrow_strings(ids)
    if ds.columns[key].type == "id":
        # valid ids are ASCII letters, digits and _.:/- (others are null by now), where case is
        # all that folding changes
        if strictly_increasing(pc.ascii_lower(strings)):
            return []
        # setting bit 5 of every byte lower-cases the letters and maps the rest onto bytes no id
        # holds, so the hash of the bytes with that bit set is a hash of the folded id
        rows = _colliding(strings, fold_case=True)
    else:
        folded = fold_id(strings)
        if strictly_increasing(folded):
            return []
        rows = _colliding(folded)
    return id_found(key, ids.iloc[rows].astype(object), rows)


def id_found(key: str, exact: pd.Series, rows: np.ndarray) -> list[Found]:
    """The duplicate and near-duplicate ids among candidate `rows` (their `exact` ids, in order):
    the rows whose hashes collided."""
    if not len(rows):
        return []
    same = exact.duplicated(keep=False).to_numpy()
    if all(isinstance(s, str) for s in exact):
        near = exact.map(lambda s: SPACE_RUN.sub("", s.casefold())).duplicated(keep=False).to_numpy()
    else:  # number ids: only the same number twice
        near = same
    found = []
    for row, is_near, is_same in zip(rows.tolist(), near.tolist(), same.tolist()):
        if is_same:
            found.append(("duplicate-id", f"the same {key} is used on another row", row, key, None))
        elif is_near:
            found.append(("near-duplicate-id", "differs from another id only by case or spaces", row,
                          key, None))
    return found


def strictly_increasing(strings: arrow.ChunkedArray) -> bool:
    """Each string after the one before it (no nulls): then no two are equal. Ids are often written
    in order (numbered, or by date), and this one pass over them is several times cheaper than
    hashing and sorting them; any other column is checked by hashing."""
    chunks = [c for c in strings.chunks if len(c)]
    if not chunks or strings.null_count:
        return not chunks
    for before, after in zip(chunks, chunks[1:]):
        if not pc.less(before[len(before) - 1], after[0]).as_py():
            return False
    return all(pc.all(pc.less(c[:-1], c[1:])).as_py() is not False for c in chunks if len(c) > 1)


def _arrow_strings(series: pd.Series) -> arrow.ChunkedArray:
    if hasattr(series.array, "_pa_array"):
        return arrow.chunked_array(series.array._pa_array)
    return arrow.chunked_array([arrow.array(series, arrow.large_string(), from_pandas=True)])


def fold_id(strings: arrow.ChunkedArray) -> arrow.ChunkedArray:
    """An id as a person compares it: case folded, then spaces removed (str.casefold and \\s+, as
    before). ASCII ids are folded by Arrow; the others by Python, for casefold's own rules."""
    folded = pc.ascii_lower(strings)
    plain = pc.fill_null(pc.string_is_ascii(strings), True)
    if not pc.all(plain).as_py():
        others = pc.invert(plain).combine_chunks()
        cased = [SPACE_RUN.sub("", s.casefold()) for s in pc.filter(strings, others).to_pylist()]
        folded = arrow.chunked_array([pc.replace_with_mask(folded.combine_chunks(), others,
                                                           arrow.array(cased, arrow.string()))])
    if any(_min_byte(chunk) <= 0x20 for chunk in folded.chunks):  # ASCII spaces and controls
        folded = pc.replace_substring_regex(folded, f"[{RE2_SPACE}]+", "")
    return folded


def _min_byte(chunk: arrow.Array) -> int:
    buffer = chunk.buffers()[2]
    if buffer is None or not buffer.size or not len(chunk):
        return 0xFF
    offsets = np.frombuffer(chunk.buffers()[1], offset_type(chunk.type))[chunk.offset:chunk.offset + len(chunk) + 1]
    raw = np.frombuffer(buffer, np.uint8)[offsets[0]:offsets[-1]]
    return int(raw.min()) if len(raw) else 0xFF


def _colliding(strings: arrow.ChunkedArray, fold_case: bool = False) -> np.ndarray:
    """Rows of non-null strings whose hash occurs more than once: every duplicate is among them
    (and, rarely, a string that only shares a hash)."""
    hashes, present = _hashes(strings, fold_case)
    order = np.sort(hashes[present])
    twice = order[1:][order[1:] == order[:-1]]
    if not len(twice):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(present & np.isin(hashes, np.unique(twice)))


def duplicated(strings: arrow.ChunkedArray) -> np.ndarray:
    """Which non-null strings occur more than once (pandas' duplicated(keep=False))."""
    out = np.zeros(len(strings), dtype=bool)
    rows = _colliding(strings)
    if len(rows):
        subset = pd.Series(strings.take(arrow.array(rows)).to_pylist(), dtype=object)
        out[rows[subset.duplicated(keep=False).to_numpy()]] = True
    return out


MIX = np.uint64(0xBF58476D1CE4E5B9)


def _hashes(strings: arrow.ChunkedArray, fold_case: bool = False, any_length: bool = False
            ) -> tuple[np.ndarray, np.ndarray]:
    """A 64-bit hash per string (equal strings, equal hashes) and which are present. A string of up
    to 64 bytes is read as eight-byte words straight from Arrow's buffer; with longer strings the
    column goes through Arrow's dictionary encoding instead, unless `any_length` (hashes that must
    agree across pieces of a file: dictionary codes are a piece's own)."""
    parts, present = [], []
    for chunk in strings.chunks:
        if not len(chunk):
            continue
        offsets = np.frombuffer(chunk.buffers()[1], offset_type(chunk.type))[chunk.offset:chunk.offset + len(chunk) + 1]
        lengths = np.diff(offsets).astype(np.int64)
        present.append(np.asarray(chunk.is_valid().to_numpy(zero_copy_only=False), dtype=bool))
        if len(lengths) and lengths.max() > 64 and not any_length:
            codes = pc.dictionary_encode(strings).combine_chunks().indices
            return (np.asarray(pc.fill_null(codes, 0).to_numpy(zero_copy_only=False), dtype=np.uint64),
                    np.asarray(pc.is_valid(strings).to_numpy(zero_copy_only=False), dtype=bool))
        buffer = chunk.buffers()[2]
        raw = np.frombuffer(buffer, np.uint8) if buffer is not None and buffer.size else np.zeros(0, np.uint8)
        data = np.zeros(len(raw) + 8, np.uint8)
        data[:len(raw)] = raw
        words = np.ndarray((len(raw) + 1,), np.uint64, data, 0, (1,))  # a word at every byte
        starts = offsets[:-1].astype(np.int64)
        h = lengths.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        with np.errstate(over="ignore"):
            for k in range(0, int(lengths.max()) if len(lengths) else 0, 8):
                word = words[np.minimum(starts + k, len(raw))]
                left = np.clip(lengths - k, 0, 8)
                if fold_case:
                    word |= np.uint64(0x2020202020202020)
                word &= np.where(left >= 8, np.uint64(2**64 - 1),
                                 (np.uint64(1) << (left.astype(np.uint64) * np.uint64(8))) - np.uint64(1))
                h = (h ^ word) * MIX
                h ^= h >> np.uint64(31)
        parts.append(h)
    if not parts:
        return np.zeros(0, np.uint64), np.zeros(0, bool)
    return np.concatenate(parts), np.concatenate(present)


def _duplicated_values(values: pd.Series) -> np.ndarray:
    return (values.duplicated(keep=False) & values.notna()).to_numpy()


# ---- references -------------------------------------------------------------------------------

def check_references(spec: Spec, raw: dict[str, RawTable], typed: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every reference names a record that exists (a funding row names a known funder)."""
    return [p for name, frame in typed.items()
            for p in raw[name].problems(reference_found(spec.datasets[name], frame, typed,
                                                        {n: t.name for n, t in raw.items()}))]


def reference_found(ds: DatasetSpec, frame: pd.DataFrame, typed: dict[str, pd.DataFrame],
                    shown: dict[str, str]) -> list[Found]:
    """The rows of `frame` whose reference names no record of its target (in `typed`; `shown`
    names each target's file)."""
    found = []
    for col in ds.columns.values():
        if not col.references or col.references[0] not in typed:
            continue
        target, target_col = col.references
        values = frame[col.name]
        known = typed[target][target_col].dropna().unique()
        missing = np.flatnonzero((values.notna() & ~values.isin(known)).to_numpy())
        for row in missing[:LISTED].tolist():
            value = str(values.iloc[row])
            found.append(("reference", f"no {target_col} '{value}' in {shown[target]}", row, col.name, value))
        if len(missing) > LISTED:
            found.append(_more("reference", col.name, len(missing) - LISTED))
    return found


# ---- outputs ----------------------------------------------------------------------------------

def validation_summary(tables: dict[str, ValidTable]) -> list[dict]:
    """Per dataset, what was checked and that it passed (failed runs log their problems instead)."""
    return [{"dataset": name, "file": t.raw.name, "rows": t.rows, "status": "passed",
             "primary_key": t.spec.primary_key, "checks": describe_checks(t.spec)}
            for name, t in sorted(tables.items())]


def describe_checks(ds: DatasetSpec) -> list[str]:
    """The checks a dataset passed, in words, for the provenance record and the review page."""
    out = []
    for col in ds.columns.values():
        parts = [TYPES[col.type].words, "optional" if col.nullable else "required"]
        if col.name == ds.primary_key:
            parts.append("unique, also ignoring case and spaces")
        parts += [c.passed(col) for c in declared_on(col)]
        if col.references:
            parts.append(f"names a {'.'.join(col.references)}")
        out.append(f"{col.name}: {', '.join(parts)}")
    return out


def write_table(table: ValidTable, path: Path) -> None:
    """One validated table as Parquet, written whole or not at all (a temp file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    import pyarrow.parquet as pq

    typed = arrow.Table.from_pandas(table.frame, preserve_index=False)
    pq.write_table(typed, tmp, write_statistics=statistics_kept(typed.schema))
    tmp.replace(path)


def statistics_kept(schema: arrow.Schema) -> list[str]:
    """The columns whose Parquet statistics (each row group's least and greatest value) are written:
    not text's, which cost a quarter of the writing (10M rows: 0.8 s of CPU) and which no reader
    here uses; numbers and dates keep theirs, for DuckDB to skip row groups by."""
    return [field.name for field in schema if not is_text(field.type)]
