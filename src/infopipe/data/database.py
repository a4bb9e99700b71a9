"""Records that live in a database: a table or a query in PostgreSQL or in a DuckDB file, read as text
cells so that the same column parsers, Pandera checks and messages as for a CSV file run on the rows.

The spec names the connection by an environment variable (`database: {connection: EVENTS_DB, table:
events}`); its value is the address (`postgresql://user:password@host:5432/db`, or
`duckdb:///path/to/file.duckdb`), which infopipe never writes anywhere. One read is one read-only REPEATABLE READ transaction: the server's version, then
`SELECT <declared columns>::text FROM <table or (query)> ORDER BY <primary key>`, so rows are
numbered in key order and a problem names `EVENTS_DB:events, row 3, column 'amount'`. NULL is an empty
cell. The rows' content hash (SHA-256 of the cells as read) plays the part of a raw file's hash: it
keys the typed table and the run, and provenance records it with the query and the server's version,
so `verify` and `diff` say when the database changed since a run.

Each engine is one entry of ENGINES (a URL scheme, how to read with it, its SQL dialect and how it
runs a rule's queries), as pandera keeps a backend per dataframe library. Rules over a database
dataset run there when the database computes them exactly as pandas does (`rule_backend`; the SQL of
each rule and filter is in concepts/rules.py); the records they counted are taken by key from the rows
read and validated.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Callable

import pyarrow as pa

from infopipe.errors import InfopipeError, Problem
from infopipe.spec.model import DatasetSpec

CONNECT_SECONDS = 10


@dataclass(frozen=True)
class Rows:
    """What one read returned: text cells per declared column, and what identifies them."""

    columns: dict[str, list[str | None]]
    sha256: str
    origin: dict  # engine, connection (the variable's name), query, server version, rows


def content_hash(rows: list[tuple]) -> str:
    """SHA-256 of the cells as read, row by row (NULL and empty text differ)."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
    return digest.hexdigest()


# ---- PostgreSQL ----------------------------------------------------------------------------------

def read_postgresql(address: str, ds: DatasetSpec) -> Rows:
    from psycopg import sql

    db = ds.database
    columns = list(ds.columns)
    if db.table:
        source = sql.Identifier(*db.table.split("."))
    else:
        source = sql.SQL("({}) AS query").format(sql.SQL(db.query))
    statement = sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
        sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in columns),
        source, sql.Identifier(ds.primary_key))
    text, version, rows = postgresql_rows(address, statement, ds.source, db.connection)
    return Rows({c: [r[i] for r in rows] for i, c in enumerate(columns)}, content_hash(rows),
                {"engine": "postgresql", "connection": db.connection, "query": text,
                 "server_version": version, "rows": len(rows)})


def postgresql_rows(address: str, statement, shown: str, connection_name: str) -> tuple[str, str, list[tuple]]:
    """(the query as run, the server's version, the rows), in one read-only snapshot."""
    texts, version, rows = postgresql_queries(address, [statement], shown, connection_name)
    return texts[0], version, rows[0]


def postgresql_queries(address: str, statements: list, shown: str, connection_name: str,
                       stage: str = "ingest") -> tuple[list[str], str, list[list[tuple]]]:
    """(the queries as run, the server's version, each one's rows), in one read-only snapshot. A
    statement may be ("types", query): its columns' type OIDs instead of its rows."""
    import psycopg

    def fail(check: str, message: str) -> InfopipeError:
        return InfopipeError(stage, [Problem(shown, check, message)])

    def words(err: BaseException) -> str:
        return _words(err, address)

    try:
        connection = psycopg.connect(address, connect_timeout=CONNECT_SECONDS, autocommit=False)
    except psycopg.Error as err:
        raise fail("database-connect", f"cannot connect to the database named by {connection_name}: "
                   f"{words(err)}") from None
    try:
        with connection:
            connection.read_only = True
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with connection.cursor() as cursor:
                cursor.execute("SELECT version()")
                version = cursor.fetchone()[0]
                cursor.execute("SET standard_conforming_strings = on")  # literals as rules.py writes them
                texts, rows = [], []
                for statement in statements:
                    how, statement = statement if isinstance(statement, tuple) else ("rows", statement)
                    texts.append(statement if isinstance(statement, str) else statement.as_string(connection))
                    cursor.execute(texts[-1])
                    rows.append([tuple(d.type_code for d in cursor.description)] if how == "types"
                                else cursor.fetchall())
    except psycopg.errors.UndefinedTable as err:
        raise fail("database-table-missing", words(err)) from None
    except psycopg.errors.UndefinedColumn as err:
        raise fail("database-column-missing", f"{words(err)} (the spec declares it)") from None
    except (psycopg.OperationalError, psycopg.errors.AdminShutdown, psycopg.errors.QueryCanceled) as err:
        raise fail("database-lost", f"the connection to the database named by {connection_name} was lost "
                   f"while reading: {words(err)}") from None
    except psycopg.Error as err:
        raise fail("database-query", words(err)) from None
    finally:
        connection.close()
    return texts, version, rows


def postgresql_hash(address: str, origin: dict) -> str:
    return content_hash(postgresql_rows(address, origin["query"], origin["connection"], origin["connection"])[2])


# ---- DuckDB --------------------------------------------------------------------------------------

def read_duckdb(address: str, ds: DatasetSpec) -> Rows:
    db = ds.database
    columns = list(ds.columns)
    source = ".".join(_quoted(p) for p in db.table.split(".")) if db.table else f"({db.query}) AS query"
    text = (f"SELECT {', '.join(f'CAST({_quoted(c)} AS VARCHAR)' for c in columns)} FROM {source} "
            f"ORDER BY {_quoted(ds.primary_key)}")
    version, rows = duckdb_rows(address, text, ds.source, db.connection)
    return Rows({c: [r[i] for r in rows] for i, c in enumerate(columns)}, content_hash(rows),
                {"engine": "duckdb", "connection": db.connection, "query": text,
                 "server_version": version, "rows": len(rows)})


def duckdb_rows(address: str, text: str, shown: str, connection_name: str) -> tuple[str, list[tuple]]:
    """(DuckDB's version, the rows) of a query on a database file opened read-only.
    The address is `duckdb:///absolute/path.duckdb` or `duckdb:path/relative/to/the/current/folder`."""
    version, rows = duckdb_queries(address, [text], shown, connection_name)
    return version, rows[0]


def duckdb_queries(address: str, texts: list[str], shown: str, connection_name: str,
                   stage: str = "ingest") -> tuple[str, list[list[tuple]]]:
    """(DuckDB's version, each query's rows), in one transaction on the file opened read-only. A text
    may be ("types", query): its columns' type names; or ("arrow", query): its rows as an Arrow table."""
    import duckdb

    def fail(check: str, message: str) -> InfopipeError:
        return InfopipeError(stage, [Problem(shown, check, message)])

    path = address.split(":", 1)[1]
    path = path[2:] if path.startswith("//") else path
    try:
        connection = duckdb.connect(path, read_only=True)
    except duckdb.Error as err:
        raise fail("database-connect", f"cannot open the DuckDB file named by {connection_name}: "
                   f"{_words(err, address)}") from None
    try:
        version = f"DuckDB {connection.execute('SELECT version()').fetchone()[0]}"
        connection.execute("BEGIN TRANSACTION")
        rows = []
        for how, text in (t if isinstance(t, tuple) else ("rows", t) for t in texts):
            if how == "arrow":  # straight to Arrow, without a copy through the DB-API result
                rows.append(connection.sql(text).to_arrow_table())
                continue
            result = connection.execute(text)
            rows.append([tuple(str(d[1]) for d in result.description)] if how == "types" else result.fetchall())
        connection.execute("COMMIT")
    except duckdb.CatalogException as err:
        raise fail("database-table-missing", _words(err, address)) from None
    except duckdb.BinderException as err:
        raise fail("database-column-missing", f"{_words(err, address)} (the spec declares it)") from None
    except duckdb.Error as err:
        raise fail("database-query", _words(err, address)) from None
    finally:
        connection.close()
    return version, rows


def duckdb_hash(address: str, origin: dict) -> str:
    return content_hash(duckdb_rows(address, origin["query"], origin["connection"], origin["connection"])[1])


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---- rules computed by the database ---------------------------------------------------------------
#
# concepts/rules.py writes each rule as SQL; an engine adds what is its own: a cell's text exactly as
# the read takes it (`"c"::text`, `CAST("c" AS VARCHAR)`), typed the way infopipe's column parsers type
# that text (concepts/columns.py: an empty cell is missing; numbers, dates and booleans may have
# spaces around them; a boolean is yes/no/true/false/1/0 in any case), and values written as literals.
# Money is left to pandas: its cells' forms follow the spec's locale (`£1,000.50`, `1 000,50 €`).

@dataclass(frozen=True)
class Dialect:
    """How one engine writes SQL for infopipe's rules."""

    text: Callable[[str], str]  # a quoted column as the text cell the read takes
    trim: str  # the function that trims a set of characters: TRIM(text, characters)
    spaces: str  # columns.SPACES as a literal
    double: str  # the 64-bit floating-point type's name

    def typed(self, column: str, kind: str, native: str | None = None) -> str | None:
        """The column as infopipe's `kind` parses its text cells; None for a type left to pandas.
        A stored type whose text infopipe reads back as the same value is used as it is (`native`:
        the stored type, as NATIVE names it), which saves the text round trip."""
        name = _quoted(column)
        if native == "text" and kind in ("id", "text", "source"):
            return f"NULLIF({name}, '')"
        if native == "integer" and kind in ("integer", "number"):
            return f"CAST({name} AS {'BIGINT' if kind == 'integer' else self.double})"
        if (native, kind) in (("double", "number"), ("date", "date"), ("boolean", "boolean")):
            return name
        cell = f"NULLIF({self.text(name)}, '')"
        bare = f"{self.trim}({cell}, {self.spaces})"
        if kind in ("id", "text", "source"):
            return cell  # taken as written, spaces and all
        if kind == "integer":
            return f"CAST({bare} AS BIGINT)"
        if kind == "number":
            return f"CAST({bare} AS {self.double})"
        if kind == "date":
            return f"CAST({bare} AS DATE)"
        if kind == "boolean":
            from infopipe.concepts.columns import BOOLEAN

            words = " ".join(f"WHEN '{w}' THEN {'TRUE' if v else 'FALSE'}" for w, v in BOOLEAN.items())
            return f"CASE LOWER({bare}) {words} END"
        return None

    def literal(self, value) -> str:
        """A filter's value (already in its column's type, rules.coerce_value) as SQL."""
        import datetime as dt

        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return f"CAST('{value!r}' AS {self.double})"
        if isinstance(value, dt.date):
            return f"DATE '{value.isoformat()}'"
        return "'" + str(value).replace("'", "''") + "'"


def _pg_spaces() -> str:
    from infopipe.concepts.columns import SPACES

    return "E'" + "".join(f"\\u{ord(c):04x}" for c in SPACES) + "'"


def _duckdb_spaces() -> str:
    from infopipe.concepts.columns import SPACES

    return "'" + SPACES + "'"  # DuckDB has no escapes in literals: the characters themselves


# Stored types whose text (as the read takes it) infopipe reads back as the very same value: whole
# numbers; 64-bit floats (PostgreSQL and DuckDB print the shortest text that reads back exactly);
# dates (a run whose dates read at all had ISO text); booleans; text. By PostgreSQL type OID or
# DuckDB type name. Anything else (numeric, real, timestamp, char(n)...) goes through its text.
NATIVE = {20: "integer", 21: "integer", 23: "integer", 701: "double", 1082: "date", 16: "boolean", 25: "text",
          1043: "text", "BIGINT": "integer", "INTEGER": "integer", "SMALLINT": "integer", "TINYINT": "integer",
          "DOUBLE": "double", "DATE": "date", "BOOLEAN": "boolean", "VARCHAR": "text"}

POSTGRESQL = Dialect(lambda c: f"{c}::text", "BTRIM", _pg_spaces(), "DOUBLE PRECISION")
DUCKDB = Dialect(lambda c: f"CAST({c} AS VARCHAR)", "TRIM", _duckdb_spaces(), "DOUBLE")
TYPED = frozenset({"id", "text", "source", "integer", "number", "date", "boolean"})  # money: pandas


def _postgresql_run(address: str, connection: str) -> Callable:
    """(figure query, records query) -> (the figure's row, the records' keys as Arrow text), one snapshot;
    or (query LIMIT 0,) -> its columns' stored types."""
    def run(queries: list[str]):
        if len(queries) == 1:
            return postgresql_queries(address, [("types", queries[0])], connection, connection, "compute")[2][0][0]
        import pyarrow.csv as pacsv

        (values,), keys = postgresql_queries(address, [queries[0], _as_csv_blocks(queries[1])], connection, connection,
                                             "compute")[2]
        if not keys:
            return values, pa.chunked_array([], pa.string())  # no records
        table = pacsv.read_csv(pa.py_buffer("\n".join(k for (k,) in keys).encode("utf-8")),
                               pacsv.ReadOptions(column_names=["key"]),
                               pacsv.ParseOptions(newlines_in_values=True),
                               pacsv.ConvertOptions(column_types={"key": pa.string()}, strings_can_be_null=False))
        return values, table.column(0)
    return run


def _as_csv_blocks(records: str) -> str:
    """The records' keys as up to 64 blocks of CSV text (quoted, one key a line), in no order: one
    value per row would cost a Python call per key; one block could pass PostgreSQL's 1 GB limit."""
    field = """'"' || REPLACE(CAST(k AS TEXT), '"', '""') || '"'"""
    return (f"SELECT STRING_AGG({field}, CHR(10)) FROM ({records}) AS records(k) "
            "GROUP BY HASHTEXT(CAST(k AS TEXT)) & 63")


def _duckdb_run(address: str, connection: str) -> Callable:
    def run(queries: list[str]):
        if len(queries) == 1:
            return duckdb_queries(address, [("types", queries[0])], connection, connection, "compute")[1][0][0]
        (values,), keys = duckdb_queries(address, [queries[0], ("arrow", queries[1])], connection, connection,
                                         "compute")[1]
        return values, keys.column(0)
    return run


@dataclass(frozen=True)
class Engine:
    """One kind of database: how to read a dataset's rows, how to hash a recorded query's rows now,
    and how rules run there (its SQL dialect, and `run(address, connection)(queries)`)."""

    name: str
    read: Callable[[str, DatasetSpec], Rows]
    rows_hash: Callable[[str, dict], str]
    dialect: Dialect
    run: Callable[[str, str], Callable[[list[str]], list[list[tuple]]]]


_PG = Engine("postgresql", read_postgresql, postgresql_hash, POSTGRESQL, _postgresql_run)
ENGINES: dict[str, Engine] = {  # by the address's scheme
    "postgresql": _PG,
    "postgres": _PG,
    "duckdb": Engine("duckdb", read_duckdb, duckdb_hash, DUCKDB, _duckdb_run),
}

# "on": rules the database computes exactly as pandas run there. Off by default: every row is read and
# validated anyway, so today the database only repeats pandas' work, slower (benchmarks/RESULTS.md,
# "Rules in the database"); it pays once rows are no longer all read (issue 20, item 2).
PUSHDOWN = "INFOPIPE_PUSHDOWN"


def rule_backend(rule, datasets: dict[str, DatasetSpec], period=None, via_period=None):
    """(the database backend that computes this rule, None) or (None, why pandas computes it) for a
    rule over a database dataset; (None, None) for a rule over files."""
    from infopipe.concepts.rules import ORDER, SqlBackend, SqlWriter, sql_refusal

    ds = datasets.get(rule.dataset)
    if ds is None or ds.database is None:
        return None, None
    if os.environ.get(PUSHDOWN, "off").lower() not in ("on", "1", "yes", "true"):
        return None, f"{PUSHDOWN} is off"
    connection = ds.database.connection
    address = os.environ.get(connection, "")
    engine = ENGINES.get(address.split(":", 1)[0].lower())
    if engine is None:
        return None, f"{connection} names no database infopipe computes in"
    same = {n: d for n, d in datasets.items() if d.database is not None and d.database.connection == connection}
    why = sql_refusal(rule, {n: {c: col.type for c, col in d.columns.items()} for n, d in same.items()},
                      TYPED, period, via_period)
    if why:
        return None, why
    dialect = engine.dialect

    run = engine.run(address, connection)

    def source(dataset: str, columns: list[str]) -> str:
        d = same[dataset]
        origin = (".".join(_quoted(p) for p in d.database.table.split(".")) if d.database.table
                  else f"({d.database.query}) AS query")
        stored = _stored_types(run, address, d, origin)
        typed = ", ".join(f"{dialect.typed(c, d.columns[c].type, stored.get(c))} AS {_quoted(c)}" for c in columns)
        return f"SELECT {_quoted(d.primary_key)} AS {_quoted(ORDER)}, {typed} FROM {origin}"

    return SqlBackend(engine.name, connection, source, SqlWriter(_quoted, dialect.literal), run), None


_STORED: dict[tuple, dict[str, str]] = {}


def _stored_types(run, address: str, ds: DatasetSpec, origin: str) -> dict[str, str]:
    """A dataset's declared columns' stored types, as NATIVE names them (asked once per process)."""
    key = (address, origin, tuple(ds.columns))
    if key not in _STORED:
        found = run([f"SELECT {', '.join(map(_quoted, ds.columns))} FROM {origin} LIMIT 0"])
        _STORED[key] = {c: NATIVE.get(t) for c, t in zip(ds.columns, found) if NATIVE.get(t)}
    return _STORED[key]


# ---- one dataset ---------------------------------------------------------------------------------

def read_rows(ds: DatasetSpec) -> Rows:
    """Read a database dataset's declared columns; InfopipeError with one located line if it fails."""
    db = ds.database
    address = os.environ.get(db.connection)
    if not address:
        raise _failure(ds)("connection-unset", f"the environment variable {db.connection}, which names "
                           "this dataset's database, is not set")
    scheme = address.split(":", 1)[0].lower()
    if scheme not in ENGINES:
        raise _failure(ds)("database-engine", f"{db.connection} names a {scheme!r} database; infopipe reads "
                           f"{', '.join(sorted(set(ENGINES) - {'postgres'}))}")
    return ENGINES[scheme].read(address, ds)


def rows_hash_now(origin: dict) -> str:
    """The content hash of what a run's recorded query returns now (for `verify`)."""
    address = os.environ.get(origin["connection"])
    if not address:
        raise InfopipeError("verify", [Problem(origin["connection"], "connection-unset", "the environment "
                            "variable that names this database is not set")])
    return ENGINES[origin["engine"]].rows_hash(address, origin)


def arrow_table(rows: Rows) -> pa.Table:
    return pa.table({c: pa.array(values, pa.string()) for c, values in rows.columns.items()})


_LAST: dict[tuple, Rows] = {}  # the rows a fingerprint read, kept for the validate that follows


def fingerprint(ds: DatasetSpec) -> str:
    """The content hash of the rows as they are now (a read); the rows are kept for the next read of
    the same dataset in this process, so a run reads the database once and keys what it validates."""
    rows = read_rows(ds)
    _LAST[_key(ds)] = rows
    return rows.sha256


def latest_rows(ds: DatasetSpec) -> Rows:
    """The rows the last fingerprint read, else a new read."""
    return _LAST.pop(_key(ds), None) or read_rows(ds)


def last_origin(ds: DatasetSpec) -> dict | None:
    """What the last fingerprint of this dataset read (query, server version), if it is kept."""
    rows = _LAST.get(_key(ds))
    return rows.origin if rows else None


def _key(ds: DatasetSpec) -> tuple:
    return ds.name, os.environ.get(ds.database.connection), ds.model_dump_json()


def _failure(ds: DatasetSpec) -> Callable[[str, str], InfopipeError]:
    def fail(check: str, message: str) -> InfopipeError:
        return InfopipeError("ingest", [Problem(ds.source, check, message)])
    return fail


def _words(err: BaseException, address: str) -> str:
    """A driver's message on one line, never the address's password."""
    from urllib.parse import urlsplit

    diag = getattr(err, "diag", None)
    primary = diag.message_primary if diag is not None else None  # the server's own words, no SQL echo
    text = " ".join((primary or str(err)).split()) or type(err).__name__
    try:
        secret = urlsplit(address).password
    except ValueError:
        secret = None
    return text.replace(secret, "***") if secret else text
