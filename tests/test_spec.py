"""Spec loading: the shipped spec is complete, and anything unknown is refused with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PROJECT
from infopipe.errors import InfopipeError
from infopipe.spec import load_spec, spec_path


def spec_file(root: Path) -> Path:
    return root / "projects" / PROJECT / "spec.yaml"


def problems_after(root: Path, old: str, new: str):
    path = spec_file(root)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InfopipeError) as caught:
        load_spec(path)
    return caught.value.problems


def test_shipped_spec_defines_every_dataset_and_figure(project_root):
    spec = load_spec(spec_file(project_root))
    files = {p.name for p in (project_root / "data" / "raw" / PROJECT).glob("*.csv")}
    assert {d.file for d in spec.datasets.values()} == files
    assert all(f.published and f.explanation and f.label for f in spec.figures)
    assert spec.figure("recruits").rule.describe() == "count the rows of applicants where selected = True"


def test_unknown_top_level_key_is_named_with_its_line(project_root):
    problems = problems_after(project_root, "max_file_bytes:", "max_file_byte:")
    assert [(p.check, p.line) for p in problems] == [("unknown-key", 8)]


def test_note_placeholder_must_name_a_figure(project_root):
    problems = problems_after(project_root, "{applicants} applicants", "{applicant} applicants")
    assert [p.check for p in problems] == ["unknown-figure"]


def test_icon_must_be_plain_path_data(project_root):
    problems = problems_after(project_root, '  institutions: "M10 90', '  institutions: "<script>M10 90')
    assert [p.check for p in problems] == ["icon-path"]


def test_project_name_cannot_leave_projects_folder(tmp_path):
    with pytest.raises(InfopipeError) as caught:
        spec_path(tmp_path, "../etc")
    assert caught.value.problems[0].check == "project-name"
