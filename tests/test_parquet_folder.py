"""A dataset that is a folder of Parquet files (`file: projects/*.parquet`): read as one table in file
name order, each problem naming its own file and row, one hash over the files keying the run, the
run keeping a copy of each, and `verify` noticing a file added since."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import PROJECT, copy_project
from infopipe.cli import main
from infopipe.review import changed_since, verify
from infopipe.run.pipeline import Paths, run


def folder_project(tmp_path):
    """The shipped project with projects.csv split into two Parquet files under projects/."""
    root = copy_project(tmp_path / "root")
    raw = root / "data" / "raw" / PROJECT
    frame = pd.read_csv(raw / "projects.csv", dtype=str, keep_default_na=False)
    (raw / "projects").mkdir()
    frame.iloc[:5].to_parquet(raw / "projects" / "part-1.parquet", index=False)
    frame.iloc[5:].to_parquet(raw / "projects" / "part-2.parquet", index=False)
    (raw / "projects.csv").unlink()
    spec = root / "projects" / PROJECT / "spec.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("file: projects.csv", "file: projects/*.parquet"),
                    encoding="utf-8")
    return root, raw


def test_a_folder_of_parquet_files_is_one_dataset_copied_and_verified(tmp_path):
    root, raw = folder_project(tmp_path)
    paths = Paths.for_project(PROJECT, root)
    folder = run(paths)
    record = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    figures = {f["id"]: f["value"] for f in record["figures"]}
    assert (figures["pilot_projects"], figures["arc_projects"]) == (2, 10)
    assert (folder / "inputs" / "projects" / "part-1.parquet").is_file()
    assert (folder / "inputs" / "projects" / "part-2.parquet").is_file()
    assert verify(paths, None, False)[1] == [] and changed_since(paths, folder) == []
    assert verify(paths, None, True)[1] == []  # rebuilt from the run's own copies, the same bytes
    assert run(paths) == folder  # nothing changed

    extra = pd.read_parquet(raw / "projects" / "part-2.parquet").iloc[:1].assign(project_id="ARC-99")
    extra.to_parquet(raw / "projects" / "part-3.parquet", index=False)
    (note,) = changed_since(paths, folder)
    assert note.endswith("projects/*.parquet: changed since this run (the run keeps its own copy)")


def test_a_problem_names_its_own_file_and_row(tmp_path, capsys):
    root, raw = folder_project(tmp_path)
    part = pd.read_parquet(raw / "projects" / "part-2.parquet")
    part.loc[2, "kind"] = "pilots"
    part.to_parquet(raw / "projects" / "part-2.parquet", index=False)
    assert main(["--root", str(root), "validate"]) == 1
    err = capsys.readouterr().err
    assert (f"{PROJECT}/projects/part-2.parquet, row 3, column 'kind': [allowed] must be one of: pilot, "
            "arc_project (value: 'pilots')") in err


@pytest.mark.parametrize("pattern", ["projects/*.csv", "proj*/part-1.parquet"])
def test_a_pattern_names_parquet_files_of_one_folder(tmp_path, capsys, pattern):
    root, _ = folder_project(tmp_path)
    spec = root / "projects" / PROJECT / "spec.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("projects/*.parquet", pattern), encoding="utf-8")
    assert main(["--root", str(root), "validate"]) == 1
    assert "a pattern names the Parquet files of one folder, such as events/*.parquet" in capsys.readouterr().err
