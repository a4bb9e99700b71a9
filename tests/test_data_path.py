"""The big-table data path at the floor: Arrow types dates and booleans as it reads (and a column it
refuses is read again as text, so infopipe's parser words the problem), the file is hashed on its own,
problems show cells as written, pandera checks the typed frame without copying it, and a rule's
records are selected chunk by chunk without changing which records they are."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infopipe.concepts.columns import STR
from infopipe.concepts.rules import _keep
from infopipe.data import ingest, validate
from infopipe.data.ingest import read_raw_tables
from infopipe.data.validate import validate_tables
from infopipe.errors import InfopipeError
from infopipe.files import sha256_file
from infopipe.spec.model import ColumnSpec, DatasetSpec, load_spec

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2025, 6, 1)


def scale_project(folder: Path, rows: int) -> Path:
    spec = importlib.util.spec_from_file_location("scale_data", ROOT / "benchmarks" / "scale_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_project(folder, rows)


def edit_cells(path: Path, edits: dict[tuple[int, int], bytes]) -> None:
    """Replace cells of unquoted data rows: (data row from 1, column index) -> new bytes."""
    lines = path.read_bytes().split(b"\n")
    for (row, column), cell in edits.items():
        cells = lines[row].split(b",")
        assert len(cells) == 10, "an unquoted row"
        cells[column] = cell
        lines[row] = b",".join(cells)
    path.write_bytes(b"\n".join(lines))


def problems(spec, raw) -> list[str]:
    with pytest.raises(InfopipeError) as caught:
        validate_tables(spec, raw, TODAY)
    return [str(p) for p in caught.value.problems]


def test_arrow_types_dates_and_booleans_as_it_reads_and_the_file_is_hashed_whole(tmp_path):
    spec = load_spec(scale_project(tmp_path, 5_000))
    raw = read_raw_tables(spec, tmp_path / "raw")["events"]
    types = {name: raw.table.column(name).type for name in raw.table.column_names}
    assert types["start_date"] == pa.date32() and types["end_date"] == pa.date32()
    assert types["online"] == pa.bool_()
    assert types["attendees"] == pa.string()  # Arrow's int64 reads '0x10': infopipe types it
    assert raw.sha256 == sha256_file(tmp_path / "raw" / "events.csv")
    frame = validate_tables(spec, {"events": raw, **{k: v for k, v in read_raw_tables(
        spec, tmp_path / "raw").items() if k != "events"}}, TODAY)["events"].frame
    text = (tmp_path / "raw" / "events.csv").read_text(encoding="utf-8").splitlines()[3].split(",")
    assert frame["start_date"].iloc[2] == pd.Timestamp(text[4])
    assert frame["online"].iloc[2] == (text[8] == "yes")


def test_a_value_arrow_refuses_is_read_again_as_text_and_worded(tmp_path):
    spec = load_spec(scale_project(tmp_path, 3_000))
    edit_cells(tmp_path / "raw" / "events.csv", {(2_500, 4): b"0000-01-01", (2_600, 8): b"Yes",
                                                 (2_700, 8): b"sometimes"})
    raw = read_raw_tables(spec, tmp_path / "raw")
    assert raw["events"].table.column("start_date").type == pa.string()
    assert raw["events"].table.column("online").type == pa.string()
    assert problems(spec, raw) == [
        "raw/events.csv, row 2500, line 2501, column 'start_date': [type:date] no such date in the "
        "calendar (value: '0000-01-01')",
        "raw/events.csv, row 2700, line 2701, column 'online': [type:boolean] write yes or no "
        "(value: 'sometimes')"]  # 'Yes' is a boolean to infopipe, though not to Arrow


def test_a_problem_in_a_column_arrow_typed_shows_the_cell_as_written(tmp_path):
    spec = load_spec(scale_project(tmp_path, 3_000))
    edit_cells(tmp_path / "raw" / "events.csv", {(1_236, 4): b" 2030-01-02", (1_236, 5): b""})
    raw = read_raw_tables(spec, tmp_path / "raw")
    assert raw["events"].table.column("start_date").type == pa.date32()  # Arrow read ' 2030-01-02'
    assert problems(spec, raw) == [
        "raw/events.csv, row 1236, line 1237, column 'start_date': [future-date] is in the future "
        "(after 2025-06-01) (value: ' 2030-01-02')"]


def test_pandera_checks_the_typed_frame_without_copying_it(tmp_path, monkeypatch):
    spec = load_spec(scale_project(tmp_path, 2_000))
    raw = read_raw_tables(spec, tmp_path / "raw")

    copy = pd.DataFrame.copy

    def refuse(frame, deep=True):
        if deep and len(frame) == 2_000:
            raise AssertionError("the table was copied")
        return copy(frame, deep=deep)

    monkeypatch.setattr(pd.DataFrame, "copy", refuse)
    tables = validate_tables(spec, raw, TODAY)
    assert len(tables["events"].frame) == 2_000
    edit_cells(tmp_path / "raw" / "events.csv", {(7, 6): b"-4"})
    assert problems(spec, read_raw_tables(spec, tmp_path / "raw")) == [
        "raw/events.csv, row 7, line 8, column 'attendees': [min] must be at least 0.0 (value: '-4')"]


def test_records_kept_chunk_by_chunk_are_the_records_pandas_keeps():
    rng = np.random.default_rng(3)
    words = [f"w{i}" if i % 7 else None for i in range(1_000)]
    chunks = pa.chunked_array([pa.array(words[i:i + 97], pa.large_string()) for i in range(0, 1_000, 97)])
    frame = pd.DataFrame({"text": pd.arrays.ArrowStringArray(chunks, dtype=STR),
                          "n": pd.array(rng.integers(0, 9, 1_000), dtype="Int64"),
                          "day": np.datetime64("2020-01-01", "s") + rng.integers(0, 99, 1_000)},
                         index=pd.RangeIndex(1_000) * 2)
    assert frame["text"].array._pa_array.num_chunks == 11  # as a big CSV's batches leave it
    for mask in (rng.random(1_000) < 0.3, np.zeros(1_000, bool), np.ones(1_000, bool)):
        mask = pd.Series(mask, index=frame.index)
        pd.testing.assert_frame_equal(_keep(frame, mask), frame[mask])


ID_SPEC = DatasetSpec(name="t", file="t.csv", primary_key="k", columns={"k": ColumnSpec(name="k", type="id")})
TEXT_KEY = DatasetSpec(name="t", file="t.csv", primary_key="k", columns={"k": ColumnSpec(name="k", type="text")})


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.text("aAbB1_ ", min_size=1, max_size=3), min_size=1, max_size=12), in_order=st.booleans())
def test_ids_in_order_are_checked_by_one_pass_with_the_same_findings(ids, in_order):
    """Ids written in order are known distinct from one pass; any other order, or equal neighbours,
    goes to hashing: the findings are those of hashing alone."""
    ids = sorted(ids, key=str.lower) if in_order else ids
    for ds in (ID_SPEC, TEXT_KEY):
        cells = [i.replace(" ", "") or None for i in ids] if ds is ID_SPEC else ids
        frame = pd.DataFrame({"k": pd.Series(cells, dtype=STR)})
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(validate, "strictly_increasing", lambda strings: False)
            hashed = validate.check_ids(ds, frame)
        assert validate.check_ids(ds, frame) == hashed


def test_a_near_duplicate_among_ids_in_order_is_found():
    frame = pd.DataFrame({"k": pd.Series(["EV-1", "EV-2", "ev-2", "EV-3"], dtype=STR)})
    assert [f[:3] for f in validate.check_ids(ID_SPEC, frame)] == [
        ("near-duplicate-id", "differs from another id only by case or spaces", 1),
        ("near-duplicate-id", "differs from another id only by case or spaces", 2)]
    assert validate.strictly_increasing(pa.chunked_array([["EV-1", "EV-2"], ["EV-3"]]))
    assert not validate.strictly_increasing(pa.chunked_array([["EV-1", "EV-2"], ["EV-2"]]))
