"""Big files in bounded memory: a CSV validated piece by piece (data/stream.py) gives the Parquet file
and the problems, word for word, that the whole-table path gives; rules over a big validated table
computed by DuckDB over its Parquet file (data/parquet_sql.py) give the values and the lineage that
pandas gives. Pieces are made small here, so a few thousand rows span several of them."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import importlib.util
import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import PROJECT, ROOT, copy_project
from infopipe.cli import main
from infopipe.compute import compute_figure
from infopipe.data import ingest, parquet_sql, stream
from infopipe.data.ingest import read_raw_tables
from infopipe.data.parquet_sql import ParquetTables
from infopipe.data.stream import validate_streaming
from infopipe.data.validate import LISTED, validate_tables
from infopipe.errors import InfopipeError
from infopipe.files import known_sha256, sha256_file
from infopipe.spec.compile import compile_spec
from infopipe.spec.model import load_spec

TODAY = dt.date(2025, 6, 1)
ROWS = 12_000


def scale_data():
    spec = importlib.util.spec_from_file_location("scale_data", ROOT / "benchmarks" / "scale_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def events(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("events")
    scale_data().write_project(folder, ROWS)
    return folder


@pytest.fixture(autouse=True)
def small_pieces(monkeypatch):
    """Arrow's batches of 64 KiB (about 550 rows), pieces of 2,500 rows: a 12,000-row file is 5 pieces."""
    monkeypatch.setattr(ingest, "ARROW_BLOCK", 64 << 10)
    monkeypatch.setattr(stream, "PIECE_ROWS", 2_500)


def whole(folder: Path):
    """The whole-table path: (the events table's frame, None) or (None, its problems)."""
    spec = load_spec(folder / "spec.yaml")
    try:
        tables = validate_tables(spec, read_raw_tables(spec, folder / "raw"), TODAY)
    except InfopipeError as err:
        return None, [str(p) for p in err.problems]
    return tables["events"].frame, None


def streamed(folder: Path, out: Path):
    """data/stream.py: (the Parquet file's frame, None) or (None, its problems); the venues table,
    which events references, is read whole."""
    spec = load_spec(folder / "spec.yaml")
    venues = spec.model_copy(update={"datasets": {"venues": spec.datasets["venues"]}})
    target = validate_tables(venues, read_raw_tables(venues, folder / "raw"), TODAY)["venues"]
    try:
        done = validate_streaming(spec, "events", folder / "raw", out, {"venues": target.frame},
                                  {"venues": target.raw.name}, TODAY)
    except InfopipeError as err:
        assert not out.exists() and not out.with_suffix(".parquet.tmp").exists()
        return None, [str(p) for p in err.problems]
    assert done is not None, "fell back to the whole-table path"
    assert done.rows == pq.ParquetFile(out).metadata.num_rows
    assert known_sha256(out) == sha256_file(out)  # hashed as it was written, not read again
    assert pq.ParquetFile(out).metadata.num_row_groups > 2  # several pieces, really
    return pd.read_parquet(out), None


def planted(events: Path, tmp_path: Path, edits: dict[tuple[int, int], str]) -> Path:
    """A copy of the events project with cells replaced: {(0-based data row, column index): text}."""
    folder = tmp_path / "planted"
    shutil.copytree(events, folder)
    path = folder / "raw" / "events.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    for (row, column), text in edits.items():
        rows[row + 1][column] = text
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return folder


def test_a_clean_file_streams_to_the_parquet_file_the_whole_table_gives(events, tmp_path):
    frame, _ = whole(events)
    frame.to_parquet(tmp_path / "whole.parquet", index=False)  # as a run writes it (write_table)
    got, problems = streamed(events, tmp_path / "events.parquet")
    assert problems is None
    pd.testing.assert_frame_equal(got, pd.read_parquet(tmp_path / "whole.parquet"))


def test_validated_parquet_keeps_the_statistics_of_numbers_and_dates_not_of_text(events, tmp_path):
    """Both ways of writing a validated table (piece by piece, whole) drop text's min/max: a quarter
    of the writing's CPU, used by no reader."""
    from infopipe.data.validate import write_table

    spec = load_spec(events / "spec.yaml")
    table = validate_tables(spec, read_raw_tables(spec, events / "raw"), TODAY)["events"]
    write_table(table, tmp_path / "whole.parquet")
    streamed(events, tmp_path / "streamed.parquet")
    for name in ("whole", "streamed"):
        group = pq.ParquetFile(tmp_path / f"{name}.parquet").metadata.row_group(0)
        kept = {group.column(i).path_in_schema: group.column(i).is_stats_set for i in range(group.num_columns)}
        assert kept == {c: spec.datasets["events"].columns[c].type in ("date", "integer", "money", "boolean")
                        for c in kept}, name


def test_problems_across_pieces_are_the_whole_tables_word_for_word(events, tmp_path):
    first_id = f"EV-{11:08d}"
    folder = planted(events, tmp_path, {
        (9_500, 0): first_id,              # a duplicate of row 10, three pieces later
        (7_000, 0): f"ev-{12:08d}",        # a near-duplicate of row 11
        (3_000, 7): "abc",                 # money that is not money
        (11_000, 4): "2024-13-01",         # a date Arrow refuses: that column is read again as text
        (5_000, 3): "V-9999",              # a venue that does not exist
        (100, 6): "-5",                    # below the minimum
    })
    _, expected = whole(folder)
    got, problems = streamed(folder, tmp_path / "events.parquet")
    assert got is None
    assert problems == expected
    assert len(problems) == 8  # both rows of each id pair, and one for every other cell
    assert any("row 9501, line 9502, column 'event_id': [duplicate-id]" in p for p in problems)


def test_more_failures_than_are_listed_are_counted_over_all_pieces(events, tmp_path):
    folder = planted(events, tmp_path, {(row, 7): "lots" for row in range(0, ROWS, 5)})  # 2,400 bad
    _, expected = whole(folder)
    got, problems = streamed(folder, tmp_path / "events.parquet")
    assert problems == expected
    assert sum("[type:money]" in p for p in problems) == LISTED + 1
    assert f"and {ROWS // 5 - LISTED:,} more rows fail this check" in problems[-1]


def test_a_file_the_fast_path_cannot_read_goes_the_whole_way(events, tmp_path):
    folder = planted(events, tmp_path, {})
    path = folder / "raw" / "events.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[8_001] = 'x"y' + lines[8_001]  # a quote inside an unquoted cell: the csv module decides
    path.write_text("\n".join(lines), encoding="utf-8")
    spec = load_spec(folder / "spec.yaml")
    out = tmp_path / "events.parquet"
    assert validate_streaming(spec, "events", folder / "raw", out, {}, {}, TODAY) is None
    assert not out.exists() and not out.with_suffix(".parquet.tmp").exists()


def test_duckdb_over_the_parquet_file_counts_what_pandas_counts(events, tmp_path, monkeypatch):
    spec = load_spec(events / "spec.yaml")
    tables = validate_tables(spec, read_raw_tables(spec, events / "raw"), TODAY)
    paths = {}
    for name, table in tables.items():  # row groups of 500: DuckDB reads them on several threads
        paths[name] = tmp_path / f"{name}.parquet"
        table.frame.to_parquet(paths[name], index=False, row_group_size=500)
    monkeypatch.setattr(parquet_sql, "BATCH_ROWS", 500)  # records written a few hundred at a time
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    results = {}
    for rows in (10**12, 0):  # never DuckDB; always DuckDB
        monkeypatch.setenv("INFOPIPE_SQL_ROWS", str(rows))
        parquet = ParquetTables(paths)
        results[rows] = [r for fig in compile_spec(spec).figures
                         for r in compute_figure(fig, parquet, str(spec.path), spec.datasets)]
        assert (parquet.loaded == {}) == (rows == 0)  # DuckDB read the files; pandas loaded them
    for pandas_made, duckdb_made in zip(results[10**12], results[0]):
        assert duckdb_made.computed["engine"] == "duckdb" and pandas_made.computed == {"engine": "pandas"}
        assert (duckdb_made.id, duckdb_made.value) == (pandas_made.id, pandas_made.value)
        written = tmp_path / f"{duckdb_made.id}.parquet"  # DuckDB wrote them as they came; the run moves them
        duckdb_made.records.to_parquet(written, index=False)
        assert known_sha256(written) == sha256_file(written)  # hashed as written; a rename keeps the stamp
        pd.testing.assert_frame_equal(pd.read_parquet(written), pandas_made.records.reset_index(drop=True))
        assert len(duckdb_made.record_ids) == len(pandas_made.record_ids)
        assert duckdb_made.to_dict()["record_sample"] == pandas_made.to_dict()["record_sample"]
        groups = [g.num_rows for g in (pq.ParquetFile(written).metadata.row_group(i)
                                       for i in range(pq.ParquetFile(written).metadata.num_row_groups))]
        assert all(n >= 500 for n in groups[:-1]) and sum(groups) == len(pandas_made.record_ids)
        assert (len(groups) > 1) == (len(pandas_made.record_ids) > 1_000)  # several batches, row groups of 500+
    workshops = tables["events"].frame["category"].eq("workshop").sum()
    assert results[0][0].value == workshops and results[0][0].record_count == workshops
    leftover = compute_figure(compile_spec(spec).figures[0], ParquetTables(paths), str(spec.path), spec.datasets)
    assert list(scratch.iterdir())  # its records, never moved into a run
    del leftover
    gc.collect()
    assert not list(scratch.iterdir())  # nothing left behind: DuckDB's spill folder, records never moved


def test_a_run_streams_and_computes_in_duckdb_with_the_same_outputs(tmp_path, monkeypatch):
    """Jam and Justice with every threshold at 0: its figures, their lineage and the page are those of
    the ordinary run; the datasets nothing references were validated piece by piece."""
    folders = {}
    for way, env in (("ordinary", {}), ("streamed", {"INFOPIPE_STREAM_BYTES": "0", "INFOPIPE_SQL_ROWS": "0"})):
        for key in ("INFOPIPE_STREAM_BYTES", "INFOPIPE_SQL_ROWS"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        root = copy_project(tmp_path / way)
        assert main(["--root", str(root), "run", PROJECT]) == 0
        folders[way] = (root / "outputs" / PROJECT / "latest").resolve()
    figures = {w: json.loads((f / "figures.json").read_text())["figures"] for w, f in folders.items()}
    engines = {f["computed"].get("engine") for f in figures["streamed"] if f.get("computed")}
    assert "duckdb" in engines
    for ordinary, streamed_ in zip(figures["ordinary"], figures["streamed"]):
        # the lineage's bytes differ (DuckDB's records are written batch by batch), not its records
        assert {k: v for k, v in ordinary.items() if k not in ("computed", "lineage")} == \
               {k: v for k, v in streamed_.items() if k not in ("computed", "lineage")}
        lineage = [pd.read_parquet(folders[w] / f["lineage"]["path"]) for w, f in
                   (("ordinary", ordinary), ("streamed", streamed_))]
        pd.testing.assert_frame_equal(*lineage)
    assert (folders["ordinary"] / "page.svg").read_bytes() == (folders["streamed"] / "page.svg").read_bytes()
    validation = {w: json.loads((f / "provenance.json").read_text())["validation"] for w, f in folders.items()}
    referenced = {"funders", "institutions"}  # funding_awards names them: they are read whole
    assert {v["dataset"] for v in validation["streamed"] if v.get("streamed")} == \
           {v["dataset"] for v in validation["streamed"]} - referenced
    assert not any(v.get("streamed") for v in validation["ordinary"])


def test_a_big_input_is_read_once_to_publish_it_and_a_changed_one_is_refused(tmp_path, monkeypatch):
    from infopipe import files
    from infopipe.files import sha256_file
    from infopipe.run.work import copy_input, list_outputs

    raw = tmp_path / "raw.csv"
    raw.write_bytes(b"id,n\n" + b"".join(b"r%d,%d\n" % (i, i) for i in range(50_000)))
    run = tmp_path / "run"
    copy_input(raw, run / "inputs", "raw.csv", sha256_file(raw), None)
    assert (run / "inputs" / "raw.csv").read_bytes() == raw.read_bytes()
    hashed = []
    monkeypatch.setattr(files, "sha256_file", lambda p: hashed.append(p) or sha256_file(p))
    assert list_outputs(run, [])[0]["sha256"] == sha256_file(raw) and hashed == []  # hashed as it was copied
    (run / "inputs" / "raw.csv").write_bytes(b"id,n\nedited,1\n")  # another stamp: hashed again
    assert list_outputs(run, [])[0]["sha256"] == sha256_file(run / "inputs" / "raw.csv") and len(hashed) == 1
    with pytest.raises(InfopipeError) as err:  # the file changed after validate hashed it
        copy_input(raw, tmp_path / "again" / "inputs", "raw.csv", "0" * 64, None)
    assert err.value.problems[0].check == "raw-changed"


def test_a_raw_file_the_plan_hashed_is_read_but_not_hashed_again_while_its_stamp_holds(tmp_path, monkeypatch):
    """10M rows: hashing 1.2 GB costs 0.9 s of CPU, and a run hashed each raw file three times (plan,
    validate, the copy it keeps)."""
    import hashlib

    from infopipe import files
    from infopipe.data.ingest import FileCheck
    from infopipe.run.work import copy_input

    raw = tmp_path / "raw.csv"
    raw.write_bytes(b"id,n\n" + b"".join(b"r%d,%d\n" % (i, i) for i in range(50_000)))
    planned = files.sha256_once(raw)
    fed = []
    real = hashlib.sha256
    monkeypatch.setattr(hashlib, "sha256", lambda *a: fed.append(1) or real(*a))
    check = FileCheck(raw)
    assert check.finish() == planned and check.quotes.finish() and fed == []
    copy_input(raw, tmp_path / "run" / "inputs", "raw.csv", planned, None)
    assert fed == [] and files.sha256_file(tmp_path / "run" / "inputs" / "raw.csv") == planned
    raw.write_bytes(b"id,n\nedited,1\n")  # another stamp: read and hashed again
    check = FileCheck(raw)
    assert check.finish() == files.sha256_file(raw) != planned
    with pytest.raises(InfopipeError) as err:
        copy_input(raw, tmp_path / "again" / "inputs", "raw.csv", planned, None)
    assert err.value.problems[0].check == "raw-changed"


def test_a_run_reads_each_raw_file_to_hash_it_once(tmp_path, monkeypatch):
    """The plan's hash serves validate, the kept copy and the RO-Crate: a run that hashed its raw
    files three or four times spent 0.9 s of CPU on each pass over 10M rows."""
    from infopipe import files
    from infopipe.run.pipeline import Paths, run

    root = copy_project(tmp_path / "root")
    raw = {p.name for p in (root / "data" / "raw" / PROJECT).iterdir()}
    hashed = []
    real = files.sha256_file
    monkeypatch.setattr(files, "sha256_file", lambda p: hashed.append(Path(p).name) or real(p))
    folder = run(Paths.for_project(PROJECT, root))
    assert sorted(name for name in hashed if name in raw) == sorted(raw)
    lineage = [p.name for p in (folder / "lineage").iterdir()]
    assert lineage and sorted(name for name in hashed if name in lineage) == sorted(lineage)  # once each
    kept = json.loads((folder / "provenance.json").read_text())["outputs"]
    assert {o["path"]: o["sha256"] for o in kept if o["path"].startswith("inputs/")} == {
        str(p.relative_to(folder)): real(p) for p in (folder / "inputs").rglob("*") if p.is_file()}


@pytest.mark.parametrize("broken", [False, True])
def test_the_validate_command_says_the_same_when_files_stream(tmp_path, monkeypatch, capsys, broken):
    """`infopipe validate` validates through Parquet files as a run does (in a folder it removes), so
    big files stream there too; what it prints, of good data or bad, does not depend on it."""
    said, streamed_ = {}, []
    real = stream.validate_streaming
    monkeypatch.setattr(stream, "validate_streaming", lambda *a, **k: streamed_.append(a[1]) or real(*a, **k))
    for way, bytes_ in (("ordinary", None), ("streamed", "0")):
        monkeypatch.delenv("INFOPIPE_STREAM_BYTES", raising=False)
        if bytes_ is not None:
            monkeypatch.setenv("INFOPIPE_STREAM_BYTES", bytes_)
        root = copy_project(tmp_path / way)
        if broken:  # events is referenced by nothing: it streams
            events = root / "data" / "raw" / PROJECT / "events.csv"
            lines = events.read_text(encoding="utf-8").split("\n")
            cells = lines[2].split(",")
            cells[0] = lines[1].split(",")[0]  # the first event's id again
            lines[2] = ",".join(cells)
            events.write_text("\n".join(lines), encoding="utf-8")
        capsys.readouterr()
        code = main(["--root", str(root), "validate", PROJECT])
        out = capsys.readouterr()
        said[way] = (code, out.out.replace(str(root), "ROOT"), out.err.replace(str(root), "ROOT"))
    assert said["streamed"] == said["ordinary"]
    assert said["ordinary"][0] == (1 if broken else 0)
    assert "events" in streamed_  # only the second way streamed, and events was one it streamed
    if broken:
        assert "[duplicate-id]" in said["ordinary"][2]


def test_number_ids_repeated_pieces_apart_are_found_as_the_whole_table_finds_them(tmp_path):
    folder = tmp_path / "numbers"
    (folder / "raw").mkdir(parents=True)
    (folder / "spec.yaml").write_text(
        "project: numbers\ntitle: Numbers\ndatasets:\n  things:\n    file: things.csv\n    primary_key: n\n"
        "    columns:\n      n: {type: integer}\n      label: {type: text}\n"
        "figures:\n  - id: things\n    label: things\n    published: '0'\n    accepted_difference: test\n"
        "    explanation: things\n    rule: {type: count_rows, dataset: things}\n", encoding="utf-8")
    numbers = list(range(1, 8_001))
    numbers[6_500] = numbers[20]  # 21 again, pieces later
    (folder / "raw" / "things.csv").write_text(
        "n,label\n" + "".join(f"{n},thing number {n} of many\n" for n in numbers), encoding="utf-8")
    spec = load_spec(folder / "spec.yaml")
    with pytest.raises(InfopipeError) as whole_err:
        validate_tables(spec, read_raw_tables(spec, folder / "raw"), TODAY)
    out = tmp_path / "things.parquet"
    with pytest.raises(InfopipeError) as streamed_err:
        validate_streaming(spec, "things", folder / "raw", out, {}, {}, TODAY)
    assert [str(p) for p in streamed_err.value.problems] == [str(p) for p in whole_err.value.problems]
    assert [p.row for p in streamed_err.value.problems] == [21, 6_501]
    assert not out.exists() and not out.with_suffix(".parquet.tmp").exists()


def test_piece_writer_appends_pieces_in_the_first_ones_types_and_leaves_nothing_when_aborted(tmp_path):
    import pyarrow as pa

    out = tmp_path / "pieces.parquet"
    written = stream.PieceWriter(out)
    written.add(pa.table({"n": pa.array([1.5, 2.5]), "s": ["a", "b"]}))
    written.add(pa.table({"n": pa.array([3], pa.int64()), "s": ["c"]}))  # cast to the first piece's types
    assert written.close() is True
    back = pq.read_table(out)
    assert back.column("n").to_pylist() == [1.5, 2.5, 3.0] and back.column("s").to_pylist() == ["a", "b", "c"]
    assert known_sha256(out) == sha256_file(out)  # hashed as it was written

    assert stream.PieceWriter(tmp_path / "none.parquet").close() is False
    assert not (tmp_path / "none.parquet").exists()

    failing = stream.PieceWriter(tmp_path / "failed.parquet")
    failing.add(pa.table({"n": [1]}))
    with pytest.raises(pa.ArrowInvalid):
        failing.add(pa.table({"n": ["not a number"]}))
    failing.abort()
    assert not (tmp_path / "failed.parquet").exists()
