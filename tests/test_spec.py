"""Spec loading: the shipped spec is complete, and anything unknown is refused with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PROJECT
from infopipe.errors import InfopipeError
from infopipe.spec.model import load_spec, spec_path


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


def only(problems) -> tuple:
    assert len(problems) == 1, problems
    return problems[0].check, problems[0].line


def test_yaml_aliases_are_refused_with_their_line(project_root):
    problems = problems_after(project_root, "page:\n  columns: 4", "page: &layout\n  columns: 4")
    assert only(problems) == ("yaml-syntax", 176)
    assert "anchors and aliases" in problems[0].message


@pytest.mark.parametrize("old, new, check, line", [
    ("  columns: 4", "  columns: 0", "spec-type", 177),
    ("  panel_width: 300", "  panel_width: -5", "spec-type", 178),
    ("  gap: 24", "  gap: 1e400", "spec-type", 180),
    ('  muted: "#6d5d4b"', '  muted: "#6d5d4g"', "bad-colour", 190),
    ('  palette: ["#b6244f"', '  palette: []\n  old: ["#b6244f"', "spec-type", 191),
    ("  - id: institutions", "  - id: ../institutions", "bad-name", 101),
    ('    published: "4"', '    published: "lots"', "claim", 103),
    ('  - id: institutions\n    label: institutions', '  - id: institutions\n    print: "{nope}"\n    label: institutions', "print-format", 102),
    ("{applicants} applicants", "{applicant} applicants", "unknown-figure", 129),
    ("max_file_bytes: 20000000", "max_file_bytes: 99999999999999999999", "spec-type", 8),
])
def test_every_spec_value_is_checked_with_its_line(project_root, old, new, check, line):
    problems = problems_after(project_root, old, new)
    if check == "spec-type" and "old:" in new:
        assert ("unknown-key", 192) in [(p.check, p.line) for p in problems]
        problems = [p for p in problems if p.check != "unknown-key"]
    assert only(problems) == (check, line)


def test_filter_values_must_fit_their_column_type(project_root):
    problems = problems_after(project_root, "- {column: selected, equals: true}", "- {column: selected, equals: maybe}")
    assert only(problems) == ("filter-value", 134)
    assert problems[0].column == "selected" and "true or false" in problems[0].message
    problems = problems_after(project_root, "- {column: kind, equals: pilot}", "- {column: kind, gt: 5}")
    assert [p.check for p in problems] == ["filter-value", "filter-value"]
    assert "does not apply to a text column" in problems[1].message


def test_every_problem_is_reported_at_once(project_root):
    path = spec_file(project_root)
    text = path.read_text(encoding="utf-8").replace("  columns: 4", "  columns: 0").replace(
        'published: "2"', 'published: "two-ish"', 1).replace("max_file_bytes:", "max_file_byte:")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InfopipeError) as caught:
        load_spec(path)
    assert {p.check for p in caught.value.problems} >= {"spec-type", "unknown-key"}


def test_claims_are_read_from_what_the_report_printed(project_root):
    spec = load_spec(spec_file(project_root))
    assert spec.figure("research_investment").print_as == "{money:£}"
    assert {f.kind for f in spec.figures} == {"number", "subcount"}
    assert spec.figure("recruits").kind == "subcount"


def test_json_schema_describes_the_spec():
    from infopipe.spec.model import json_schema

    schema = json_schema()
    assert {"datasets", "figures", "page", "theme", "period"} <= set(schema["properties"])
    assert "print" in schema["$defs"]["FigureSpec"]["properties"]


def test_every_spec_problem_comes_in_one_round_with_lines_and_suggestions(project_root):
    """Shape (an unknown key, an unknown rule type), names (a filter's column) and colours (contrast,
    with the theme line) are reported together, each with a 'did you mean' where one is close."""
    from infopipe.spec.model import load_spec

    spec = project_root / "projects" / "jam-and-justice" / "spec.yaml"
    lines = spec.read_text(encoding="utf-8").splitlines(keepends=True)
    edits = {"    label: institutions\n": "    lable: institutions\n",
             "    rule: {type: count_distinct, dataset: funders, column: funder_id}\n":
             "    rule: {type: count_distinc, dataset: funders, column: funder_id}\n",
             "        - {column: kind, equals: pilot}\n": "        - {column: kinds, equals: pilot}\n",
             '  muted: "#6d5d4b"\n': '  muted: "#bbbbbb"\n'}
    at = {}
    for old, new in edits.items():
        at[new] = lines.index(old) + 1
        lines[at[new] - 1] = new
    spec.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InfopipeError) as caught:
        load_spec(spec)
    found = {(p.line, p.check): p.message for p in caught.value.problems if not p.message.startswith("subtitle")}
    assert len(caught.value.problems) == 5  # muted also fails on the page background: one problem more
    new = list(edits.values())
    assert set(found) == {(at[new[0]], "unknown-key"), (at[new[1]], "unknown-rule"),
                          (at[new[2]], "unknown-column"), (at[new[3]], "contrast")}
    assert found[(at[new[0]], "unknown-key")].endswith("did you mean 'label'?")
    assert found[(at[new[1]], "unknown-rule")].endswith("did you mean 'count_distinct'?")
    assert "did you mean 'kind'? (columns: project_id, name, kind," in found[(at[new[2]], "unknown-column")]
    assert found[(at[new[3]], "contrast")].startswith("muted #bbbbbb on panel_background #ffffff: 1.91:1")


def test_an_unknown_project_names_the_near_miss_and_the_projects(project_root):
    from infopipe.spec.model import load_spec

    with pytest.raises(InfopipeError, match=r"did you mean 'jam-and-justice'\? \(projects: jam-and-justice\)"):
        load_spec(project_root / "projects" / "jam-and-justic" / "spec.yaml")


def test_a_shape_problem_brings_no_false_problem_from_the_parts_that_pass(tmp_path):
    """When the whole spec fails, the parts that pass are cross-checked with the spec's own period and
    locale: the scaffold's rate figure (over the reporting period) must not be said to lack a period."""
    from infopipe.cli import main

    assert main(["--root", str(tmp_path), "new", "demo"]) == 0
    spec = tmp_path / "projects" / "demo" / "spec.yaml"
    text = spec.read_text(encoding="utf-8")
    assert "type: rate" in text and "\nperiod:" in text  # the scaffold shows both
    spec.write_text(text.replace("type: count_rows", "type: count_row", 1), encoding="utf-8")
    with pytest.raises(InfopipeError) as caught:
        load_spec(spec)
    assert [p.check for p in caught.value.problems] == ["unknown-rule"]
