"""What a reviewer reads: one verdict per figure shared by every output (no false alarms), values at
their meaningful precision with the exact value kept, `explain` and `diff` that say what changed,
`verify --rerun` after an edit that only moves lines, a page for a failed run, and `| head`."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT, ROOT, copy_project
from infopipe.cli import main
from infopipe.concepts.verdicts import shown, summary, verdict
from infopipe.run import progress
from infopipe.run.pipeline import Paths, run

FIGURE = {"id": "f", "published": "40", "printed": "40", "claim_holds": True, "printed_holds": True}
TINY_SPEC = """\
project: tiny
title: Float noise
datasets:
  grants:
    file: grants.csv
    primary_key: grant_id
    columns:
      grant_id: {type: id}
      amount: {type: money}
figures:
  - id: total
    label: million pounds
    published: "0.3"
    rule: {type: sum, dataset: grants, column: amount}
    explanation: Both grants added up.
"""


@pytest.mark.parametrize("changes,name,attention", [
    ({}, "holds", False),
    ({"printed": "more than 30"}, "reworded", True),
    ({"claim_holds": False, "printed": "38"}, "fails", True),
    ({"claim_holds": False, "printed": "38", "accepted_difference": "the list sums to 38"}, "accepted", True),
    ({"printed_holds": False}, "untrue", True),
    ({"published": None, "claim_holds": None, "printed_holds": None}, "no_claim", False),
])
def test_one_verdict_decides_what_needs_attention(changes, name, attention):
    judged = verdict({**FIGURE, **changes})
    assert (judged.name, judged.attention) == (name, attention)


def test_summary_names_what_fails_and_what_to_read():
    figures = [FIGURE, {**FIGURE, "id": "total", "published": None, "claim_holds": None},
               {**FIGURE, "id": "budget", "claim_holds": False, "printed": "42", "accepted_difference": "sums to 42"}]
    assert summary(figures) == ("3 figures, 2 checked against the report: every claim holds; "
                                "to read: budget (accepted difference)")


def test_values_are_shown_at_their_meaningful_precision():
    assert [shown(v) for v in (579.9999999999999, 671.7, 2031, 0.1 + 0.2, 1e20, "x", None)] == [
        "580", "671.7", "2,031", "0.3", "1e+20", "x", ""]


def tiny_root(tmp_path: Path) -> Path:
    root = tmp_path / "tiny"
    (root / "projects" / "tiny").mkdir(parents=True)
    (root / "projects" / "tiny" / "spec.yaml").write_text(TINY_SPEC, encoding="utf-8")
    (root / "data" / "raw" / "tiny").mkdir(parents=True)
    (root / "data" / "raw" / "tiny" / "grants.csv").write_text("grant_id,amount\nG-1,0.1\nG-2,0.2\n", encoding="utf-8")
    return root


FLOAT_NOISE = re.compile(r"0\.30{4,}")


def test_float_noise_is_shown_nowhere_and_the_exact_value_is_kept(tmp_path, capsys):
    root = tiny_root(tmp_path)
    folder = run(Paths.for_project("tiny", root))
    figure = json.loads((folder / "figures.json").read_text())["figures"][0]
    assert (figure["value"], figure["value_exact"]) == (0.3, 0.1 + 0.2)
    assert progress.figure_rows(folder)[0]["computed"] == "0.3"
    assert next(csv.DictReader(io.StringIO((folder / "figures.csv").read_text())))["value"] == "0.3"
    assert main(["--root", str(root), "explain", "tiny", "total"]) == 0
    out = capsys.readouterr().out
    assert "value 0.3;" in out and "recount from all 2 records: 0.3" in out
    # The noise is 0.30000000000000004; the run id's clock time (e.g. T160000Z) is not noise.
    assert not FLOAT_NOISE.search(out) and not FLOAT_NOISE.search((folder / "report.html").read_text())


def test_the_review_page_and_the_terminal_agree_on_a_figure_without_a_claim(tmp_path):
    root = copy_project(tmp_path / "root", "coderefinery")
    folder = run(Paths.for_project("coderefinery", root))
    rows = {r["figure"]: r for r in progress.figure_rows(folder)}
    assert rows["training_events"]["verdict"] == "no claim" and rows["person_months"]["verdict"] == "accepted difference"
    html = (folder / "report.html").read_text()
    assert 'class="fail"' not in html and ">no<" not in html
    figures = json.loads((folder / "figures.json").read_text())["figures"]
    claims = sum(1 for f in figures if f["published"] is not None)
    assert f"{len(figures)} figures, {claims} checked against the report: every claim holds; to read: " in html
    assert "person_months (accepted difference)" in html and "training_events (" not in html
    assert {f["id"]: f["verdict"] for f in figures}["training_events"] == "no_claim"


def test_verify_rerun_holds_after_an_edit_that_only_moves_lines(good_copy, capsys):
    spec = good_copy / "projects" / PROJECT / "spec.yaml"
    spec.write_text("# a comment that moves every line down\n\n" + spec.read_text(encoding="utf-8"), encoding="utf-8")
    folder = run(Paths.for_project(PROJECT, good_copy))
    record = json.loads((folder / "provenance.json").read_text())
    assert record["redone"]["figures"] == []  # every figure reused
    assert main(["--root", str(good_copy), "verify", PROJECT, "--rerun"]) == 0, capsys.readouterr().out


def test_diff_shows_value_changes_and_edited_fields_between_previous_and_latest(good_copy, capsys):
    raw = good_copy / "data" / "raw" / PROJECT / "funding_awards.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace(",1000000,", ",1040000,"), encoding="utf-8")
    run(Paths.for_project(PROJECT, good_copy))
    assert main(["--root", str(good_copy), "diff", PROJECT]) == 0  # previous -> latest
    out = capsys.readouterr().out
    assert "research_investment: printed '£1m' (unchanged); value 1,000,000 -> 1,040,000" in out
    assert "record AW-TOTAL changed: amount_gbp '1000000.0' -> '1040000.0'" in out
    assert main(["--root", str(good_copy), "diff", PROJECT, "previous", "latest", "--json"]) == 0
    change = json.loads(capsys.readouterr().out)["figures_changed"][0]
    assert (change["value_before"], change["value_after"]) == (1000000, 1040000)


def test_explain_names_the_figure_and_only_the_files_it_read(tmp_path, capsys):
    root = copy_project(tmp_path / "root", "coderefinery")
    run(Paths.for_project("coderefinery", root))
    assert main(["--root", str(root), "explain", "coderefinery", "person_months", "--limit", "8"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith("person_months: A budget of 42 person-months per year")
    assert "exact as printed" in out and "exact: exact" not in out
    assert "coderefinery/partners.csv" in out and "events.csv" not in out
    assert "https://coderefinery.org/about/reports/phase-3-report.pdf" in out  # the source, whole


def test_a_closed_pipe_is_not_a_bug(good_root):
    """`infopipe explain ... | head`: the reader leaves early. Here it leaves before a byte is written
    (`true` exits while Python starts), so the write always meets a closed pipe: exit 141 (SIGPIPE),
    nothing on stderr, never 'unexpected error (BrokenPipeError) ... a bug'."""
    for command in ("explain applicants --limit 50", "verify", "status"):
        shell = f"{sys.executable} -m infopipe.cli --root {good_root} {command} | true"
        done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True, timeout=120,
                              env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
        assert (done.returncode, done.stderr) == (141, ""), command


def test_a_failed_run_leaves_a_review_page_with_every_problem_and_its_place(good_copy, capsys):
    from lxml import html as lhtml

    bad = Path(__file__).parent / "bad_inputs" / "19-future-date" / "raw" / "events.csv"
    (good_copy / "data" / "raw" / PROJECT / "events.csv").write_bytes(bad.read_bytes())
    assert main(["--root", str(good_copy), "run", PROJECT]) == 1
    err = capsys.readouterr().err
    shown_page = err.strip().splitlines()[-1]
    assert shown_page.startswith("Review page: ")
    page = Path(shown_page.removeprefix("Review page: "))
    entry = json.loads((good_copy / "outputs" / PROJECT / "provenance.jsonl").read_text().splitlines()[-1])
    assert entry["status"] == "failed" and (good_copy / entry["review_page"]) == page
    assert page.parent == good_copy / "outputs" / PROJECT / "failed" and page.stem == entry["run_id"]
    doc = lhtml.fromstring(page.read_text(encoding="utf-8"))
    assert doc.find_class("verdict")[0].text_content() == entry["error"]
    rows = [[td.text_content() for td in tr.iter("td")] for tr in doc.iter("tr")][1:entry["problem_count"] + 1]
    for problem, row in zip(entry["problems"], rows):
        assert row[0] == problem["file"] and row[2] == problem["check"] and row[3] == problem["message"]
        assert f"line {problem['line']}" in row[1]
    latest = (good_copy / "outputs" / PROJECT / "latest").resolve().name
    assert f"../runs/{latest}/report.html" in {a.get("href") for a in doc.iter("a")}


def test_status_names_what_changed_and_run_names_the_gallery(good_copy, capsys):
    assert main(["--root", str(good_copy), "run", PROJECT]) == 0
    folder = (good_copy / "outputs" / PROJECT / "latest").resolve()
    assert capsys.readouterr().out.splitlines()[-1] == f"Gallery: {folder / 'index.html'}"
    raw = good_copy / "data" / "raw" / PROJECT / "funding_awards.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace(",1000000,", ",1040000,"), encoding="utf-8")
    spec = good_copy / "projects" / PROJECT / "spec.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("label: institutions", "label: partner institutions"),
                    encoding="utf-8")
    assert main(["--root", str(good_copy), "status", PROJECT, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    why = {**{d["dataset"]: d["why"] for d in result["datasets"]}, **{f["figure"]: f["why"] for f in result["figures"]}}
    assert why["funding_awards"] == "its raw file changed: funding_awards.csv"
    assert why["research_investment"] == "a table it reads changed (funding_awards: its raw file changed: funding_awards.csv)"
    assert why["institutions"] == "its declaration in the spec changed (figure 'institutions')"
    assert why["applicants"] == "up to date"
