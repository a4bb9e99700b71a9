"""The review page: renders in headless Chromium with no console messages; data text is escaped."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import lxml.html
import pytest

from conftest import PROJECT
from infopipe.present.report import render_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"


def open_in_chromium(page: Path, screenshot: Path, profile: Path) -> list[str]:
    """Load a page headless, save a screenshot, return the console messages it produced."""
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         f"--screenshot={screenshot}", "--window-size=1200,2400", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    return [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


@pytest.mark.browser
def test_console_check_does_catch_errors(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>undefinedFunction()</script>")
    messages = open_in_chromium(page, tmp_path / "bad.png", tmp_path / "profile")
    assert any("undefinedFunction" in m for m in messages)


@pytest.mark.browser
def test_review_page_renders_cleanly_and_saves_a_screenshot(good_root, tmp_path):
    folder = (good_root / "outputs" / PROJECT / "latest").resolve()
    html = (folder / "report.html").read_text(encoding="utf-8")
    figures = json.loads((folder / "figures.json").read_text())["figures"]
    assert html.count("<details>") == len(figures)
    assert "reconstructed: the published total £1m" in html
    messages = open_in_chromium(folder / "report.html", tmp_path / "shot.png", tmp_path / "profile")
    assert messages == []
    assert (tmp_path / "shot.png").stat().st_size > 20_000


def test_text_from_data_is_escaped_in_the_review_page():
    nasty = "<script>alert('x')</script> & \"q\" 🎉"
    record = {
        "project": "p", "run_id": "r", "started_at": "t", "code": {"commit": "c", "dirty": False},
        "spec": {"sha256": "s"}, "inputs": [], "validation": [],
        "figures": [{"id": "f", "label": nasty, "printed": "1", "published": "1", "matches": True,
                     "explanation": nasty, "rule_in_words": "count", "record_ids": ["a"],
                     "input": {"path": "x.csv"}}],
    }
    evidence = {"f": [{"id": "a", "source": "javascript:alert(1)"}, {"id": "b", "source": "https://e.org/?a=1&b=\"2\""}]}
    html = render_report(record, evidence, [])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    hrefs = [a.get("href") for a in lxml.html.fromstring(html).iter("a")]
    assert 'https://e.org/?a=1&b="2"' in hrefs and not any(h.startswith("javascript") for h in hrefs)
    assert "&amp;b=&#34;2&#34;" in html  # escaped by the template, then read back whole above


def test_claim_columns_show_each_figures_claim():
    base = {"project": "p", "run_id": "r", "started_at": "t", "code": {"commit": "c", "dirty": True},
            "spec": {"sha256": "s"}, "inputs": [], "validation": []}
    new = {"id": "online", "label": "registered participants", "printed": "over 2000", "published": "over 2000",
           "value": 2031, "claim_kind": "more_than", "claim_meaning": "a lower bound: the value must be above 2,000",
           "claim_holds": True, "matches": True, "explanation": "sum", "rule_in_words": "sum", "record_count": 2,
           "input": {"path": "events.csv"}}
    broken = {**new, "id": "broken", "claim_holds": False, "matches": False}
    total = {"id": "f", "label": "events", "printed": "21", "published": None, "matches": False,
             "claim_kind": None, "claim_holds": None, "explanation": "count", "rule_in_words": "count",
             "record_count": 1, "input": {"path": "x.csv"}}
    html = render_report({**base, "figures": [new, broken, total]}, {}, [])
    doc = lxml.html.fromstring(html)
    table = next(t for t in doc.iter("table") if "verdict" in t.text_content())
    header = [th.text_content() for th in table.iter("th")]
    rows = [[td for td in tr.iter("td")] for tr in table.iter("tr")][1:]
    column = {name: i for i, name in enumerate(header)}
    text = [[td.text_content() for td in r] for r in rows]
    assert [r[column["claim"]] for r in text] == ["a lower bound: the value must be above 2,000more_than"] * 2 + ["—"]
    # one verdict, no false alarm: a figure without a claim is neither red nor "no"
    assert [r[column["verdict"]] for r in text] == ["holds", "does not hold", "no claim"]
    assert [r[column["verdict"]].get("class") for r in rows] == ["ok", "fail", "none"]
    assert text[0][column["printed"]] == "over 2000value 2,031" and text[2][column["printed"]] == "21"
    assert [r[column["figure"]] for r in text] == ["onlineregistered participants", "brokenregistered participants",
                                                 "fevents"]  # named by id and statement (or label)
    first = doc.find(".//p")
    assert first.get("class").split() == ["verdict", "bad"]
    assert first.text_content() == "3 figures, 2 checked against the report: 1 do not hold (broken)"
    assert "(uncommitted changes)" in html and html.count("<details>") == 3
    summaries = [s.text_content() for s in doc.iter("summary")]
    assert summaries[0].startswith("online: registered participants (2 records from events.csv")


def test_each_figure_shows_the_first_records_of_its_own_lineage(good_root):
    """The review page reads every figure's lineage file (two at a time): each figure's table holds the
    first records of its own file, in order, not another figure's."""
    import pandas as pd

    from infopipe.run.work import REVIEW_RECORDS

    folder = (good_root / "outputs" / PROJECT / "latest").resolve()
    figures = json.loads((folder / "figures.json").read_text())["figures"]
    page = lxml.html.fromstring((folder / "report.html").read_text(encoding="utf-8"))
    shown = {d.findtext("summary/code"): d for d in page.iter("details")}
    assert len({f["lineage"]["path"] for f in figures}) == len(figures) > 3
    for figure in figures:
        lineage = pd.read_parquet(folder / figure["lineage"]["path"]).head(REVIEW_RECORDS)
        table = shown[figure["id"]].find("table")
        assert [th.text_content() for th in table.iter("th")] == list(lineage.columns)
        first_cells = [tr.find("td").text_content() for tr in table.iter("tr") if tr.find("td") is not None]
        assert first_cells == [str(v) for v in lineage.iloc[:, 0]], figure["id"]
