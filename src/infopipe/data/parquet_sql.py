"""Validated tables as compute reads them: each from its Parquet file, and the rules over a big one
computed by DuckDB reading that file.

A table is loaded into pandas only when a rule computed there asks for it. A rule over a table of
at least INFOPIPE_SQL_ROWS rows (1,000,000 by default) runs in DuckDB when DuckDB computes it exactly
as pandas does (the same SQL backend that computes rules in a database, concepts/rules.py; the same
refusals), streaming the file: memory holds the figure's records (the fields its lineage keeps),
not the table. The row order is the file's (DuckDB's file_row_number), so "the first record of each
value" is the one pandas keeps.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as arrow
import pyarrow.parquet as pq

from infopipe.concepts.rules import ORDER, SQL, RuleResult, SqlWriter, sql_queries, sql_refusal
from infopipe.data.database import DUCKDB, TYPED, _quoted
from infopipe.data.stream import PieceWriter, in_groups
from infopipe.spec.model import DatasetSpec

SQL_ROWS = "INFOPIPE_SQL_ROWS"
DEFAULT_SQL_ROWS = 1_000_000
DUCKDB_MEMORY = "2GB"  # DuckDB's own limit; it spills beyond it
BATCH_ROWS = 1_000_000  # records written to the lineage file at a time
SAMPLE_IDS = 100  # the first record ids kept in memory (figures.json lists some)


class ParquetTables(Mapping):
    """Typed tables read from their Parquet files only when a rule computed in pandas asks for one."""

    def __init__(self, paths: dict[str, Path]):
        self.paths, self.loaded = paths, {}

    def __getitem__(self, name: str):
        if name not in self.loaded:
            import pandas as pd

            self.loaded[name] = pd.read_parquet(self.paths[name])
        return self.loaded[name]

    def __contains__(self, name) -> bool:  # without loading it (Mapping's own would)
        return name in self.paths

    def __iter__(self):
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    def columns(self, name: str) -> list[str]:
        return pq.ParquetFile(self.paths[name]).schema_arrow.names

    def rows(self, name: str) -> int:
        return pq.ParquetFile(self.paths[name]).metadata.num_rows


def columns_of(tables, name: str) -> list[str]:
    """A table's columns, without loading it when it is a Parquet file."""
    return tables.columns(name) if isinstance(tables, ParquetTables) else list(tables[name].columns)


def sql_rows() -> int:
    return int(os.environ.get(SQL_ROWS, DEFAULT_SQL_ROWS))


def parquet_backend(rule, tables, datasets: dict[str, DatasetSpec], lineage: list[str], period=None,
                    via_period=None):
    """(a DuckDB backend over the Parquet files, None), or (None, why pandas computes it), or
    (None, None) when the table is small or not a Parquet file."""
    if not isinstance(tables, ParquetTables) or rule.dataset not in datasets or tables.rows(rule.dataset) < sql_rows():
        return None, None
    why = sql_refusal(rule, {n: {c: col.type for c, col in d.columns.items()} for n, d in datasets.items()
                             if n in tables}, TYPED, period, via_period)
    if why:
        return None, why
    return ParquetSql(tables, tuple(lineage)), None


@dataclass(frozen=True)
class ParquetSql:
    """The SQL backend (concepts/rules.py) over Parquet files: DuckDB gives the figure's aggregates and
    its records with their lineage fields in the file's row order, without the table in pandas."""

    tables: ParquetTables
    lineage: tuple

    def apply(self, rule, tables, primary_key: str, period=None, via_period=None) -> RuleResult:
        import duckdb

        def source(dataset: str, columns: list[str]) -> str:
            wanted = list(dict.fromkeys(columns + (list(self.lineage) if dataset == rule.dataset else [])))
            path = str(self.tables.paths[dataset]).replace("'", "''")
            return (f"SELECT file_row_number AS {_quoted(ORDER)}, {', '.join(map(_quoted, wanted))} "
                    f"FROM read_parquet('{path}', file_row_number = true)")

        writer = SqlWriter(_quoted, DUCKDB.literal, column_name=rule.column)
        queries = sql_queries(rule, source, writer, primary_key, period, via_period, list(self.lineage), inline=True)
        spill = tempfile.mkdtemp(prefix="infopipe-duckdb-")  # else DuckDB spills into the working folder
        connection = duckdb.connect()
        try:
            connection.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
            connection.execute(f"SET threads = {os.cpu_count() or 1}")
            connection.execute(f"SET temp_directory = '{spill}'")
            values = connection.execute(queries.figure).fetchall()[0]
            stored = pq.ParquetFile(self.tables.paths[rule.dataset]).schema_arrow
            records = WrittenRecords.write(connection.sql(queries.records).to_arrow_reader(BATCH_ROWS),
                                           stored, list(self.lineage), primary_key)
        finally:
            connection.close()
            shutil.rmtree(spill, ignore_errors=True)
        # the query as recorded names the validated files by name (their folder is this machine's)
        shown = queries.figure
        for path in self.tables.paths.values():
            shown = shown.replace(str(path).replace("'", "''"), Path(path).name)
        computed = {"engine": "duckdb", "on": "the validated Parquet files", "query": shown}
        return RuleResult(SQL[rule.type].finish(values, rule), records.ids, records, computed)


class SampledIds:
    """A figure's record ids as figures.json needs them: how many, and the first few."""

    def __init__(self, count: int, first):
        self.count, self.first = count, first

    def __len__(self) -> int:
        return self.count

    def head(self, n: int):
        return self.first.head(n)


class WrittenRecords:
    """A figure's records, written to a Parquet file batch by batch as DuckDB gives them (the lineage
    written as it goes: memory holds a batch, not the records). The run moves the file into its
    lineage folder (to_parquet, as it writes a frame's); one never moved is deleted with this object."""

    def __init__(self, path: Path, ids: SampledIds):
        self.path, self.ids = path, ids
        self._drop = weakref.finalize(self, _unlink, path)

    @classmethod
    def write(cls, batches, stored: "arrow.Schema", columns: list[str], primary_key: str) -> "WrittenRecords":
        # the lineage columns as pandas types them (pandas' own metadata), as a frame's to_parquet writes them
        schema = arrow.Table.from_pandas(stored.empty_table().select(columns).to_pandas(),
                                         preserve_index=False).schema
        handle, name = tempfile.mkstemp(prefix="infopipe-records-", suffix=".parquet")
        os.close(handle)
        count, first = 0, schema.empty_table().column(primary_key).to_pandas()
        written = PieceWriter(Path(name), schema)  # hashed as written: the run lists it without reading it
        try:
            for group in in_groups(batches, BATCH_ROWS):  # DuckDB's batches are often small
                table = arrow.Table.from_batches(group).cast(schema)
                written.add(table)
                if not count:
                    first = table.slice(0, SAMPLE_IDS).column(primary_key).to_pandas()
                count += table.num_rows
            written.close()
        except BaseException:
            written.abort()
            raise
        return cls(Path(name), SampledIds(count, first))

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, columns):
        """One column read from the file (as a frame gives it); a list of columns: these records,
        written with the lineage's columns only."""
        if isinstance(columns, str):
            import pandas as pd

            return pd.read_parquet(self.path, columns=[columns])[columns]
        if isinstance(columns, (list, tuple)):
            return self
        raise TypeError(f"records are read by column name, not {columns!r}")

    def to_parquet(self, path: Path, index: bool = False) -> None:
        shutil.move(self.path, path)
        self._drop.detach()
        self.path = Path(path)


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)
