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

Each engine is one entry of ENGINES (a URL scheme and how to read with it), as pandera keeps a backend
per dataframe library.
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
    import psycopg

    def fail(check: str, message: str) -> InfopipeError:
        return InfopipeError("ingest", [Problem(shown, check, message)])

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
                text = statement if isinstance(statement, str) else statement.as_string(connection)
                cursor.execute(text)
                rows = cursor.fetchall()
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
    return text, version, rows


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
    import duckdb

    def fail(check: str, message: str) -> InfopipeError:
        return InfopipeError("ingest", [Problem(shown, check, message)])

    path = address.split(":", 1)[1]
    path = path[2:] if path.startswith("//") else path
    try:
        connection = duckdb.connect(path, read_only=True)
    except duckdb.Error as err:
        raise fail("database-connect", f"cannot open the DuckDB file named by {connection_name}: "
                   f"{_words(err, address)}") from None
    try:
        version = f"DuckDB {connection.execute('SELECT version()').fetchone()[0]}"
        rows = connection.execute(text).fetchall()
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


@dataclass(frozen=True)
class Engine:
    """One kind of database: how to read a dataset's rows, and how to hash a recorded query's rows now."""

    read: Callable[[str, DatasetSpec], Rows]
    rows_hash: Callable[[str, dict], str]


ENGINES: dict[str, Engine] = {  # by the address's scheme
    "postgresql": Engine(read_postgresql, postgresql_hash),
    "postgres": Engine(read_postgresql, postgresql_hash),
    "duckdb": Engine(read_duckdb, duckdb_hash),
}


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
