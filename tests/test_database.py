"""Records that live in PostgreSQL: a real server the tests start (tests/postgres.py), a project whose
`projects` dataset is a table (or a query) there, named by an environment variable. Validation runs on
the rows read; provenance keeps the query, the server's version and the rows' hash, so `verify` and
`diff` say when the database changed; bad credentials, a missing table, a type that does not fit and
a lost connection are each one clear line."""

from __future__ import annotations

import json
import threading
import time

import pytest

from conftest import PROJECT, ROOT, copy_project
from infopipe.cli import main
from infopipe.data.database import content_hash
from infopipe.review import changed_since, verify
from infopipe.run.pipeline import Paths, run
from postgres import HOST, remove_cluster, start_cluster

ENV = "INFOPIPE_TEST_DB"
PASSWORD = "s3cret-reader-pw"
COLUMNS = ("project_id text PRIMARY KEY, name text, kind text, partners text, start_date date, "
           "end_date date, source text")


def psql(cluster, database: str, sql: str) -> str:
    """Run SQL as the cluster's owner; the rows unaligned, one per line, cells split by |."""
    return cluster.command(str(cluster.bin / "psql"), "-h", HOST, "-p", str(cluster.port), "-U", cluster.user,
                           "-d", database, "-v", "ON_ERROR_STOP=1", "-q", "-A", "-t", "-c", sql).stdout


@pytest.fixture(scope="module")
def pg():
    """A throwaway cluster with database `records`: table `projects` (the shipped CSV), a copy whose
    start_date is a timestamp, and a role `reader` that must give its password."""
    cluster = start_cluster()
    try:
        cluster.create_database("records")
        csv = (ROOT / "data" / "raw" / PROJECT / "projects.csv").read_text(encoding="utf-8")
        (cluster.base / "projects.csv").write_text(csv, encoding="utf-8")
        psql(cluster, "records", f"CREATE TABLE projects ({COLUMNS}); "
                     f"COPY projects FROM '{cluster.base / 'projects.csv'}' WITH (FORMAT csv, HEADER true); "
                     "CREATE TABLE projects_ts AS SELECT * FROM projects; "
                     "ALTER TABLE projects_ts ALTER COLUMN start_date TYPE timestamp; "
                     f"CREATE ROLE reader LOGIN PASSWORD '{PASSWORD}'; "
                     "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader;")
        hba = cluster.data / "pg_hba.conf"
        hba.write_text(f"host all reader {HOST}/32 scram-sha-256\n" + hba.read_text())
        cluster.command(str(cluster.bin / "pg_ctl"), "-D", str(cluster.data), "reload")
        time.sleep(0.5)
        yield cluster
    finally:
        remove_cluster(cluster)


def address(pg, password: str = PASSWORD) -> str:
    return f"postgresql://reader:{password}@{HOST}:{pg.port}/records"


def db_project(tmp_path, source: str = "table: projects"):
    """The shipped project with `projects` read from the database instead of projects.csv."""
    root = copy_project(tmp_path / "root")
    spec = root / "projects" / PROJECT / "spec.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace(
        "    file: projects.csv\n", f"    database: {{connection: {ENV}, {source}}}\n"), encoding="utf-8")
    (root / "data" / "raw" / PROJECT / "projects.csv").unlink()
    return root


def record(folder):
    return json.loads((folder / "provenance.json").read_text(encoding="utf-8"))


def test_a_table_in_postgresql_is_validated_counted_and_recorded(pg, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, address(pg))
    root = db_project(tmp_path)
    paths = Paths.for_project(PROJECT, root)
    first = run(paths)
    figures = {f["id"]: f for f in record(first)["figures"]}
    assert (figures["pilot_projects"]["value"], figures["arc_projects"]["value"]) == (2, 10)
    (source,) = [i for i in record(first)["inputs"] if i["dataset"] == "projects"]
    assert source["path"] == f"{ENV}:projects"
    db = source["database"]
    assert db["query"].startswith('SELECT "project_id"::text, "name"::text') and 'FROM "projects" ORDER BY "project_id"' in db["query"]
    assert db["server_version"].startswith("PostgreSQL 15") and db["rows"] == 12
    rows = [tuple(r.split("|")) for r in psql(pg, "records", db["query"]).strip().splitlines()]
    assert source["sha256"] == content_hash([tuple(c or None for c in r) for r in rows])
    assert PASSWORD not in (first / "provenance.json").read_text() and not (first / "inputs" / "projects.csv").exists()
    assert verify(paths, None, False)[1] == [] and changed_since(paths, first) == []
    assert run(paths) == first  # nothing changed, in the files or in the database

    psql(pg, "records", "UPDATE projects SET name = 'Pilot renamed' WHERE project_id = 'PILOT-ROM'")
    (note,) = changed_since(paths, first)
    assert note.startswith(f"{ENV}:projects: the database's rows changed since this run")
    second = run(paths)
    assert second != first
    assert record(second)["redone"]["datasets"] == ["projects"]
    assert main(["--root", str(root), "diff", first.name, second.name]) == 0


def test_a_query_is_read_like_a_table(pg, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(ENV, address(pg))
    root = db_project(tmp_path, 'query: "SELECT p.* FROM projects p WHERE p.kind IS NOT NULL"')
    assert main(["--root", str(root), "validate"]) == 0
    assert f"ok  {ENV}:query(projects): 12 rows" in capsys.readouterr().out


@pytest.mark.parametrize("case, expected", [
    ("password", f"{ENV}:projects: [database-connect] cannot connect to the database named by {ENV}: "),
    ("table", f'{ENV}:projectz: [database-table-missing] relation "projectz" does not exist'),
    ("type", f"{ENV}:projects_ts, row 3, column 'start_date': [type:date]"),
    ("unset", f"{ENV}:projects: [connection-unset] the environment variable {ENV}, which names this "
              "dataset's database, is not set"),
])
def test_each_database_failure_is_one_clear_line(pg, tmp_path, monkeypatch, capsys, case, expected):
    monkeypatch.setenv(ENV, address(pg, "wrong" if case == "password" else PASSWORD))
    if case == "unset":
        monkeypatch.delenv(ENV)
    root = db_project(tmp_path, {"table": "table: projectz", "type": "table: projects_ts"}.get(case, "table: projects"))
    assert main(["--root", str(root), "run"]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("  - ")]
    assert len(lines) == 1 and expected in lines[0], err
    assert "Traceback" not in err and "wrong" not in err and PASSWORD not in err
    if case == "password":
        assert 'password authentication failed for user "reader"' in lines[0]


def test_a_connection_lost_while_reading_is_one_clear_line(pg, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(ENV, address(pg))
    root = db_project(tmp_path, 'query: "SELECT p.* FROM projects p, pg_sleep(30)"')

    def cut():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            ended = psql(pg, "postgres", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()")
            if ended.strip() not in ("", "0"):
                return
            time.sleep(0.2)

    cutter = threading.Thread(target=cut)
    cutter.start()
    began = time.monotonic()
    assert main(["--root", str(root), "validate"]) == 1
    cutter.join()
    err = capsys.readouterr().err
    assert time.monotonic() - began < 25
    assert f"{ENV}:query(projects): [database-lost] the connection to the database named by {ENV} was lost " \
           "while reading: " in err and "Traceback" not in err


def test_a_table_in_a_duckdb_file_is_read_the_same_way(tmp_path, monkeypatch, capsys):
    import duckdb

    path = tmp_path / "records.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE TABLE projects AS SELECT * FROM read_csv('{ROOT / 'data/raw' / PROJECT / 'projects.csv'}', "
                    "all_varchar=true)")
        con.execute("ALTER TABLE projects ALTER start_date TYPE DATE USING CAST(start_date AS DATE)")
    monkeypatch.setenv(ENV, f"duckdb://{path}")
    root = db_project(tmp_path)
    folder = run(Paths.for_project(PROJECT, root))
    figures = {f["id"]: f["value"] for f in record(folder)["figures"]}
    assert (figures["pilot_projects"], figures["arc_projects"]) == (2, 10)
    (source,) = [i for i in record(folder)["inputs"] if i["dataset"] == "projects"]
    assert source["database"]["server_version"].startswith("DuckDB v") and source["database"]["rows"] == 12
    assert changed_since(Paths.for_project(PROJECT, root), folder) == []
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE projects SET name = 'Pilot renamed' WHERE project_id = 'PILOT-ROM'")
    assert changed_since(Paths.for_project(PROJECT, root), folder)[0].startswith(f"{ENV}:projects: the database's rows changed")
    monkeypatch.setenv(ENV, f"duckdb://{tmp_path / 'missing.duckdb'}")
    assert main(["--root", str(root), "validate"]) == 1
    assert f"{ENV}:projects: [database-connect] cannot open the DuckDB file named by {ENV}: " in capsys.readouterr().err


def test_rules_run_in_postgresql_and_their_records_are_those_pandas_counts(pg, tmp_path, monkeypatch):
    """A figure over a database dataset is computed by the server (provenance names the engine and the
    query as run); its lineage is the records pandas counts, from the rows read and validated; a rule
    the database cannot compute exactly as pandas says why. With pushdown off, the same figures."""
    import pandas as pd

    from infopipe.data.database import PUSHDOWN

    monkeypatch.setenv(ENV, address(pg))
    monkeypatch.setenv(PUSHDOWN, "on")
    pushed = run(Paths.for_project(PROJECT, db_project(tmp_path / "on")))
    monkeypatch.setenv(PUSHDOWN, "off")
    local = run(Paths.for_project(PROJECT, db_project(tmp_path / "off")))
    on, off = ({f["id"]: f for f in record(folder)["figures"]} for folder in (pushed, local))
    assert {k: f["value"] for k, f in on.items()} == {k: f["value"] for k, f in off.items()}
    over_projects = [k for k, f in on.items() if f["dataset"] == "projects"]
    assert over_projects and all(on[k]["computed"]["engine"] == "postgresql" for k in over_projects)
    pilot = on["pilot_projects"]["computed"]
    assert pilot["connection"] == ENV and 'FROM "projects"' in pilot["query"] and "= 'pilot'" in pilot["query"]
    assert pilot["records_query"].endswith('SELECT "project_id" FROM kept')
    assert all(off[k]["computed"] == {"engine": "pandas", "why": f"{PUSHDOWN} is off"} for k in over_projects)
    assert all(f["computed"] == {"engine": "pandas"} for f in on.values() if f["dataset"] != "projects")
    assert PASSWORD not in (pushed / "provenance.json").read_text()
    for k in over_projects:  # the same records behind each figure, in the same order
        lineage = [pd.read_parquet(folder / f[k]["lineage"]["path"]) for folder, f in ((pushed, on), (local, off))]
        assert len(lineage[0]) == on[k]["record_count"] and lineage[0].equals(lineage[1]), k
