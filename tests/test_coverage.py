"""Coverage: every number a published page printed is a figure, the spec's own words or an exclusion
with its reason; a page infopipe drew is covered by its own spec, and loses a number with a figure."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import yaml

from conftest import PROJECT, REPORT, copy_project, needs_report
from infopipe.cli import main
from infopipe.coverage import check_coverage
from infopipe.data.published import read_pages
from infopipe.spec.model import Spec


def coverage(root: Path, *args: str, capsys) -> tuple[int, dict, str]:
    code = main(["--root", str(root), "coverage", *args])
    out = capsys.readouterr()
    written = root / "outputs" / args[0] / "coverage.json"
    return code, json.loads(written.read_text(encoding="utf-8")) if written.is_file() else {}, out.out + out.err


def own_page(root: Path) -> str:
    return str(root / "outputs" / PROJECT / "latest" / "page.pdf")


def test_a_page_infopipe_drew_is_covered_by_its_own_spec(good_copy, capsys):
    code, result, out = coverage(good_copy, PROJECT, "--pdf", own_page(good_copy), "--pages", "1", capsys=capsys)
    assert code == 0, out
    assert result["not_covered"] == [] and result["not_holding"] == [] and result["excluded"] == []
    by = {(i["text"], i["by"]) for i in result["covered"]}
    assert {("2019", "the subtitle"), ("39", "the subtitle"), ("4", "figure 'institutions'"),
            ("£1m", "figure 'research_investment'"), ("50", "figure 'applicants'"),
            ("2", "figure 'funding_bodies'"), ("2", "figure 'pilot_projects'")} <= by
    figures = json.loads((good_copy / "outputs" / PROJECT / "latest" / "figures.json").read_text())["figures"]
    assert result["figures_not_found"] == [] and len(result["covered"]) == 2 + len(figures)
    assert "OK: every printed number is covered or excluded" in out


def test_the_same_page_without_one_figure_fails_naming_its_number(good_copy, capsys):
    spec_file = good_copy / "projects" / PROJECT / "spec.yaml"
    spec = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    spec["figures"] = [f for f in spec["figures"] if f["id"] != "institutions"]
    spec["icons"].pop("institutions", None)
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    code, result, out = coverage(good_copy, PROJECT, "--pdf", own_page(good_copy), "--pages", "1", capsys=capsys)
    assert code == 1
    assert [(i["text"], i["page"]) for i in result["not_covered"]] == [("4", 1)]
    assert "4 institutions" in result["not_covered"][0]["context"]
    assert "NOT COVERED (1):" in out and "'4'" in out and "FAILED: 1 printed number is not covered" in out


# ---------------------------------------------------------------- a page made here, line by line

def _page_svg(lines: list[str]) -> str:
    texts = "".join(f'<text x="40" y="{60 + 30 * i}" font-family="Liberation Sans" font-size="14">{escape(t)}</text>'
                    for i, t in enumerate(lines))
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="600" height="{120 + 30 * len(lines)}">{texts}</svg>'


def one_page_pdf(lines: list[str], path: Path) -> Path:
    import cairosvg

    cairosvg.svg2pdf(bytestring=_page_svg(lines).encode(), write_to=str(path))
    return path


def spec_with(report: dict | None, figures: list[dict], title: str = "Our year") -> Spec:
    data = {"project": "p", "title": title, "datasets": {"events": {
        "file": "events.csv", "primary_key": "id", "columns": {"id": {"type": "id"}}}},
        "figures": [{"rule": {"type": "count_rows", "dataset": "events"}, "explanation": "x", **f} for f in figures]}
    if report is not None:
        data["report"] = report
    return Spec.model_validate(data)


LINES = ["3 Results", "We ran 12 workshops for over 300 people in 2024.", "Seats: 40 per room (2 rooms).", "7"]
FIGURES = [{"id": "workshops", "label": "workshops", "published": "12"},
           {"id": "people", "label": "people who took part", "published": "over 300"},
           {"id": "rooms", "label": "rooms", "published": "3"}]


def figure_values(**values) -> list[dict]:
    return [{"id": f["id"], "label": f["label"], "published": f["published"], "printed": f["published"],
             "value": values[f["id"]]} for f in FIGURES]


def test_each_number_is_covered_not_holding_excluded_or_not_covered(tmp_path):
    report = {"exclude": [{"text": "3 Results", "reason": "a section number"},
                          {"pattern": r"^\d+$", "reason": "the page number"},
                          {"text": "not on this page 99", "reason": "left over"}]}
    spec = spec_with(report, FIGURES)
    pages = read_pages(one_page_pdf(LINES, tmp_path / "r.pdf"), [1])
    result = check_coverage(spec, figure_values(workshops=12, people=290, rooms=2), pages, {"file": "r.pdf"})
    assert [(i["text"], i["figure"]) for i in result["covered"]] == [("12", "workshops")]
    assert [(i["text"], i["value"], i["holds"]) for i in result["not_holding"]] == [("over 300", 290, False)]
    assert [(i["text"], i["reason"]) for i in result["excluded"]] == [("3", "a section number"), ("7", "the page number")]
    assert [(i["text"], i["line"]) for i in result["not_covered"]] == [("2024", 2), ("40", 3), ("2", 3)]
    assert result["not_covered"][0]["context"] == "…We ran 12 workshops for over 300 people in 2024. Seats: 40 per room (2 rooms). 7"
    assert result["exclusions_unused"] == ["not on this page 99"] and result["ok"] is False
    # "(2 rooms)" is not the figure 'rooms' (published "3"): a number is matched by its claim and its words
    assert result["figures_not_found"] == ["rooms"]


def test_an_exclusion_applies_only_on_its_pages_and_never_beats_a_figure(tmp_path):
    report = {"exclude": [{"pattern": r"\d+", "pages": "2-3", "reason": "not this page"},
                          {"pattern": r"workshops", "reason": "too broad"}]}
    spec = spec_with(report, FIGURES)
    pages = read_pages(one_page_pdf(LINES, tmp_path / "r.pdf"), [1])
    result = check_coverage(spec, figure_values(workshops=12, people=301, rooms=3), pages, {"file": "r.pdf"})
    assert [i["text"] for i in result["covered"]] == ["12", "over 300"]
    assert result["excluded"] == [] and result["exclusions_unused"] == [r"\d+", "workshops"]


def test_the_spec_own_words_cover_a_number_with_the_same_neighbours(tmp_path):
    spec = spec_with(None, FIGURES, title="Our year in 2024")
    pages = read_pages(one_page_pdf(["Our year in 2024", "Budget for 2024 is set"], tmp_path / "r.pdf"), [1])
    result = check_coverage(spec, figure_values(workshops=12, people=301, rooms=3), pages, {"file": "r.pdf"})
    assert [(i["text"], i["by"], i["line"]) for i in result["covered"]] == [("2024", "the title", 1)]
    assert [(i["text"], i["line"]) for i in result["not_covered"]] == [("2024", 2)]


def test_a_file_that_is_not_a_pdf_or_lacks_the_page_is_a_clear_error(good_copy, capsys, tmp_path):
    bad = tmp_path / "report.pdf"
    bad.write_text("not a pdf", encoding="utf-8")
    blank = one_page_pdf([], tmp_path / "scanned.pdf")
    for pdf, pages, message in ((bad, "1", "[not-a-pdf] cannot read it as a PDF"),
                                (blank, "1", "[no-text] page 1 has no text to read (a scanned image?)"),
                                (own_page(good_copy), "2", "[no-such-page] page 2 asked for, but the PDF has 1 page"),
                                (tmp_path / "none.pdf", "1", "[report-missing] no such file"),
                                (own_page(good_copy), "x", "[bad-pages] 'x' is not a page")):
        code, _, out = coverage(good_copy, PROJECT, "--pdf", str(pdf), "--pages", pages, capsys=capsys)
        assert code == 1 and message in out and "Traceback" not in out, out


# ---------------------------------------------------------------- the real report

@needs_report
def test_coderefinery_pages_are_covered_by_figures_own_words_and_exclusions(tmp_path, capsys):
    root = copy_project(tmp_path / "root", "coderefinery")
    code, result, out = coverage(root, "coderefinery", capsys=capsys)
    assert code == 0, out
    assert result["pages"] == [2, 3, 5, 6] and result["sha256"] == hashlib.sha256(REPORT.read_bytes()).hexdigest()
    covered = {(i["page"], i["text"]): i for i in result["covered"]}
    assert covered[(5, "over 2000")]["figure"] == "online_participants" and covered[(5, "over 2000")]["value"] > 2000
    assert covered[(2, "8")]["figure"] == "partners" and covered[(2, "11")]["figure"] == "pm_neic"
    assert covered[(6, "3")]["figure"] == "events_python" and covered[(3, "110k")]["value"] == 110_000
    assert [(i["text"], i.get("figure")) for i in result["covered"] if i["page"] == 3] == [
        ("6", "pm_nris"), ("2", "pm_usit"), ("6", "pm_naiss"), ("110k", "travel_budget")]
    assert (2, 8, "3", "the sentence of figure 'partners'") in [(i["page"], i["line"], i["text"], i["by"]) for i in result["covered"]]
    assert [(i["text"], i["figure"], i["value"]) for i in result["not_holding"]] == [("38", "person_months", 42)]
    assert "adds up to 42" in result["not_holding"][0]["accepted_difference"]
    pages_numbers = [(i["page"], i["text"]) for i in result["excluded"] if i["reason"].startswith("the page number")]
    assert pages_numbers == [(2, "2"), (3, "3"), (5, "5"), (6, "6")]
    background = [i["text"] for i in result["excluded"] if i["reason"].startswith("section 3.1")]
    assert background == ["2016", "eight", "over 40", "circa 500", "around 30"]  # words and bounds are numbers too
    assert result["not_covered"] == [] and result["exclusions_unused"] == []
    assert result["figures_not_found"] == []  # every figure's claim is printed on these pages
    assert covered[(5, "6")]["figure"] == "online_workshops" and covered[(5, "6")]["also"] == ["events_online"]


@needs_report
def test_coderefinery_without_an_exclusion_fails_naming_each_number(tmp_path, capsys):
    root = copy_project(tmp_path / "root", "coderefinery")
    spec_file = root / "projects" / "coderefinery" / "spec.yaml"
    text = spec_file.read_text(encoding="utf-8")
    cut = "    - pattern: '^\\d+$'\n      reason: the page number, at the foot of the page\n"
    assert cut in text
    spec_file.write_text(text.replace(cut, ""), encoding="utf-8")
    code, result, out = coverage(root, "coderefinery", capsys=capsys)
    assert code == 1
    assert [(i["page"], i["line"], i["text"]) for i in result["not_covered"]] == [
        (2, 27, "2"), (3, 30, "3"), (5, 28, "5"), (6, 28, "6")]
    assert "p6 l28  '6'" in out and "FAILED: 4 printed numbers are not covered" in out


# ---------------------------------------------------------------- the published file as an input

def test_the_published_report_is_an_input_verified_and_its_reissue_shown(good_copy, capsys):
    import pikepdf

    from infopipe.review import changed_since, diff, verify
    from infopipe.run.pipeline import Paths, run

    published = good_copy / "reports" / "page.pdf"
    published.parent.mkdir()
    published.write_bytes(Path(own_page(good_copy)).read_bytes())
    spec_file = good_copy / "projects" / PROJECT / "spec.yaml"
    spec_file.write_text(spec_file.read_text(encoding="utf-8") + "\nreport:\n  file: reports/page.pdf\n"
                         "  url: https://example.org/report.pdf\n  pages: 1\n", encoding="utf-8")
    paths = Paths.for_project(PROJECT, good_copy)
    first = run(paths)
    record = json.loads((first / "provenance.json").read_text(encoding="utf-8"))
    item = next(i for i in record["inputs"] if i.get("kind") == "published report")
    assert item["sha256"] == hashlib.sha256(published.read_bytes()).hexdigest() and item["pages"] == [1]
    assert (first / "inputs" / item["path"]).read_bytes() == published.read_bytes()
    result = json.loads((first / "coverage.json").read_text(encoding="utf-8"))
    assert result["ok"] and len(result["covered"]) == 10 and result["file"] == "reports/page.pdf"
    page = (first / "report.html").read_text(encoding="utf-8")
    assert "The published report: every number it printed" in page and "10 covered and holding" in page
    assert verify(paths, rerun=True)[1] == [] and changed_since(paths, first) == []  # rebuilt from its own copy

    with pikepdf.open(published, allow_overwriting_input=True) as pdf:  # the report is reissued
        pdf.docinfo["/Title"] = "Second printing"
        pdf.save(published)
    assert changed_since(paths, first) == ["the published report reports/page.pdf: reissued since this run "
                                           "(its bytes changed; the run keeps its own copy)"]
    second = run(paths)
    assert second != first
    changes = diff(paths, first.name, second.name)
    assert changes["report_reissued"]["before"] == item["sha256"] and changes["figures_changed"] == []
    assert main(["--root", str(good_copy), "diff", PROJECT, first.name, second.name]) == 0
    assert "the published report was reissued: reports/page.pdf" in capsys.readouterr().out

    copy = second / "inputs" / item["path"]
    copy.chmod(0o644)
    copy.write_bytes(copy.read_bytes() + b"%")
    problems = verify(paths)[1]
    assert [(Path(p.file).name, p.check) for p in problems] == [("page.pdf", "hash-mismatch")]

    published.unlink()
    assert main(["--root", str(good_copy), "run", PROJECT]) == 1
    err = capsys.readouterr().err
    assert "reports/page.pdf: [report-missing] the published report that the spec names (report.file) is " \
           "not there; download it from https://example.org/report.pdf" in err


# ---------------------------------------------------------------- a spec drafted from the page

def test_new_from_a_page_drafts_one_figure_per_printed_number_with_its_rule_to_write(good_copy, capsys):
    from infopipe.spec.model import load_spec

    page = own_page(good_copy)
    assert main(["--root", str(good_copy), "new", "drafted", "--from", page, "--pages", "1"]) == 0
    spec_file = good_copy / "projects" / "drafted" / "spec.yaml"
    drafted = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    found = [(f["published"], f["label"]) for f in drafted["figures"]]
    assert found == [("2019", "July"), ("39", "figure"), ("4", "institutions"), ("2", "funding bodies"),
                     ("£1m", "research investment"), ("15", "recruits their networks selected from"),
                     ("50", "applicants"), ("1", "Action Research Collective"), ("2", "pilot projects"),
                     ("10", "ARC projects Rebuilt by infopipe from")]
    assert [f["id"] for f in drafted["figures"]][2:5] == ["institutions", "funding_bodies", "research_investment"]
    assert {f["rule"] for f in drafted["figures"]} == {"TO WRITE"}
    assert drafted["report"] == {"file": "outputs/jam-and-justice/latest/page.pdf", "pages": "1", "exclude": []}
    capsys.readouterr()
    assert main(["--root", str(good_copy), "validate", "drafted"]) == 1
    err = capsys.readouterr().err
    assert err.count("[rule-to-write]") == 10 and "spec failed: 10 problems" in err
    assert "spec.yaml, line 46: [rule-to-write] the rule of figure 'july' is still to be written: " \
           "say how to count it from the data, e.g. rule: {type: count_rows" in err
    spec_file.write_text(spec_file.read_text(encoding="utf-8").replace(
        "rule: TO WRITE", "rule: {type: count_rows, dataset: events}"), encoding="utf-8")
    assert [f.published for f in load_spec(spec_file).figures][:3] == ["2019", "39", "4"]


@needs_report
def test_a_coderefinery_run_records_the_coverage_and_its_own_page_is_covered(tmp_path, capsys):
    from infopipe.run.pipeline import Paths, run

    root = copy_project(tmp_path / "root", "coderefinery")
    folder = run(Paths.for_project("coderefinery", root))
    recorded = json.loads((folder / "coverage.json").read_text(encoding="utf-8"))
    # 93: the claim reader reads fractions ("half"), so the three "half-days" are found, and excluded
    assert recorded["ok"] and len(recorded["excluded"]) == 93 and len(recorded["covered"]) == 19
    assert "1 covered but not holding, 0 not covered" in (folder / "report.html").read_text(encoding="utf-8")
    code, result, out = coverage(root, "coderefinery", "--pdf", str(folder / "page.pdf"), "--pages", "1", capsys=capsys)
    assert code == 0 and result["excluded"] == [] and result["not_holding"] == [], out
    assert ("42", "figure 'person_months'") in [(i["text"], i["by"]) for i in result["covered"]]
    assert ("3", "the sentence of figure 'partners'") in [(i["text"], i["by"]) for i in result["covered"]]


def test_a_bad_report_block_is_refused_with_its_lines(project_root, capsys):
    spec_file = project_root / "projects" / PROJECT / "spec.yaml"
    lines = spec_file.read_text(encoding="utf-8").count("\n")
    spec_file.write_text(spec_file.read_text(encoding="utf-8") + (
        "\nreport:\n"
        "  file: /etc/report.pdf\n"
        "  pages: \"5-2\"\n"
        "  exclude:\n"
        "    - {pattern: '(', reason: broken}\n"
        "    - {text: \"p. 39\", pattern: 'x', reason: both}\n"
        "    - {text: \"p. 39\", reason: \" \"}\n"), encoding="utf-8")
    assert main(["--root", str(project_root), "validate", PROJECT]) == 1
    err = capsys.readouterr().err
    for line, message in ((lines + 3, "[unsafe-path] report file '/etc/report.pdf' must be a relative path"),
                          (lines + 4, "[bad-pages] '5-2' is not a page or a range of pages"),
                          (lines + 6, "[bad-pattern] pattern '(' is not a regular expression"),
                          (lines + 7, "[spec-shape] an exclusion names either 'text' (as printed) or 'pattern'"),
                          (lines + 8, "[reason-missing] an exclusion needs its reason, in words")):
        assert f"spec.yaml, line {line}: {message}" in err, (line, message, err)


def test_a_run_fails_on_a_printed_number_it_does_not_cover_and_keeps_the_last_good_run(good_copy, capsys, tmp_path):
    from conftest import latest_target

    one_page_pdf(["Our 4 institutions", "and 12 new partners"], good_copy / "report.pdf")
    spec_file = good_copy / "projects" / PROJECT / "spec.yaml"
    spec_file.write_text(spec_file.read_text(encoding="utf-8") + "\nreport: {file: report.pdf, pages: 1}\n",
                         encoding="utf-8")
    before = latest_target(good_copy)
    assert main(["--root", str(good_copy), "run", PROJECT]) == 1
    err = capsys.readouterr().err
    assert err.startswith("coverage failed: 1 problem in report.pdf")
    assert "report.pdf: [not-covered] page 1, line 2: '12' is printed there but is not a figure, the " \
           "spec's own words or excluded (Our 4 institutions and 12 new partners); add the figure" in err
    assert latest_target(good_copy) == before
    log = (good_copy / "outputs" / PROJECT / "provenance.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(log[-1])["status"] == "failed" and json.loads(log[-1])["failed_step"] == "coverage"


def test_each_figure_removed_in_turn_leaves_exactly_its_number_uncovered(good_root):
    from infopipe.spec.model import load_spec

    folder = good_root / "outputs" / PROJECT / "latest"
    spec = load_spec(good_root / "projects" / PROJECT / "spec.yaml")
    figures = json.loads((folder / "figures.json").read_text(encoding="utf-8"))["figures"]
    pages = read_pages(folder / "page.pdf", [1])
    assert check_coverage(spec, figures, pages, {"file": "page.pdf"})["ok"]
    for gone in (f for f in spec.figures if f.panel):
        kept = spec.model_copy(update={"figures": tuple(f for f in spec.figures if f is not gone)})
        result = check_coverage(kept, [f for f in figures if f["id"] != gone.id], pages, {"file": "page.pdf"})
        printed = next(f["printed"] for f in figures if f["id"] == gone.id)
        assert [i["text"] for i in result["not_covered"]] == [printed], gone.id
