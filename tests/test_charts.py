"""Chart panels end to end: marks against a naive recount, the plot drawn by plotly in Chromium
(kaleido), byte-identical across processes, offline, and a browser started only when a chart changed.

One run of the chart project is shared by the module (one kaleido batch); the byte-identity test runs a
second process under `unshare -n` (no network), so one more batch covers both the offline map and the
reproducibility. The incremental tests count browser launches through a BROWSER_PATH wrapper.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, tree_hashes

PROJECT = "charts-demo"
SOURCE = ROOT / "tests" / "chart_project"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="chart panels need Chromium")


def chart_root(dest: Path) -> Path:
    (dest / "projects").mkdir(parents=True)
    shutil.copytree(SOURCE, dest / "projects" / PROJECT, ignore=shutil.ignore_patterns("raw"))
    shutil.copytree(SOURCE / "raw", dest / "data" / "raw" / PROJECT)
    return dest


def run_cli(root: Path, *args: str, env: dict | None = None, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    command = [*prefix, sys.executable, "-m", "infopipe.cli", "run", PROJECT, "--root", str(root), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})})


def record(root: Path) -> dict:
    return json.loads((root / "outputs" / PROJECT / "latest" / "provenance.json").read_text(encoding="utf-8"))


def counting_browser(folder: Path) -> tuple[Path, Path]:
    """A BROWSER_PATH that logs each launch, then starts the real Chromium."""
    log = folder / "launches.log"
    wrapper = folder / "chromium-counted"
    wrapper.write_text(f"#!/bin/sh\necho launch >> {log}\nexec {CHROMIUM} \"$@\"\n", encoding="utf-8")
    wrapper.chmod(0o755)
    return wrapper, log


def launches(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """One run of the chart project, in this process."""
    from infopipe.run.pipeline import Paths, run

    root = chart_root(tmp_path_factory.mktemp("charts") / "root")
    run(Paths.for_project(PROJECT, root))
    return root


# ---------------------------------------------------------------- what the run holds

@needs_browser
def test_every_mark_is_a_figure_with_lineage_and_words(built: Path):
    import pandas as pd

    folder = built / "outputs" / PROJECT / "latest"
    figures = json.loads((folder / "figures.json").read_text())["figures"]
    marks = [f for f in figures if f["kind"] == "mark"]
    by_chart = {}
    for m in marks:
        by_chart.setdefault(m["parent"], []).append(m)
    assert set(by_chart) == {"visitors_by_year", "visits_by_kind", "visits_per_quarter", "visits_by_country"}
    raw = pd.read_csv(built / "data" / "raw" / PROJECT / "visits.csv")
    # 6 years x 2 galleries; the last year (2024, to 30 June) is partial
    years = by_chart["visitors_by_year"]
    assert [(m["mark"]["key"], m["mark"]["series"]) for m in years][:2] == [("2019", "north"), ("2019", "south")]
    assert [m["mark"]["partial"] for m in years] == [False] * 10 + [True] * 2
    for m in years:
        lineage = pd.read_parquet(folder / m["lineage"]["path"])
        year = raw[raw.visit_date.str.startswith(m["mark"]["key"]) & (raw.gallery == m["mark"]["series"])]
        assert sorted(lineage.visit_id) == sorted(year.visit_id)
        assert m["value"] == year.visitors.sum() and m["record_count"] == len(year)
        assert m["published"] is None and m["claim_holds"] is None  # the report printed no marks
    shares = by_chart["visits_by_kind"]
    assert sum(m["mark"]["share"] for m in shares) == pytest.approx(100)
    assert [m["value"] for m in shares] == [(raw.kind == m["mark"]["key"]).sum() for m in shares]
    assert [m["printed"] for m in shares] == [f"{round(100 * (raw.kind == m['mark']['key']).sum() / len(raw))}%"
                                              for m in shares]
    online = next(m for m in by_chart["visits_by_country"] if m["mark"]["apart"])
    assert online["value"] == (raw.country == "online").sum()
    countries = {m["mark"]["code"] for m in by_chart["visits_by_country"] if not m["mark"]["apart"]}
    assert countries == {"GBR", "FRA", "DEU", "USA", "IND", "BRA", "JPN", "NGA", "ESP"}
    report = (folder / "report.html").read_text()
    assert "no claim" in report and "mark of <code>visitors_by_year</code>" in report
    # a chart prints its marks, never its rule's total: the review page and the statement say so
    chart = next(f for f in figures if f["id"] == "visitors_by_year")
    assert chart["statement"].endswith(": a chart, one figure per mark")
    total = f"{raw.visitors.sum():,}"
    assert chart["value"] == raw.visitors.sum()
    assert f"a chart of {len(years)} marks (below); their total, {total}, is not printed" in report
    assert f"<b>{total}</b>" not in report


@needs_browser
def test_explain_recounts_a_mark_from_its_records(built: Path):
    from infopipe.review import explain, explain_text
    from infopipe.run.pipeline import Paths

    paths = Paths.for_project(PROJECT, built)
    info = explain(paths, "visits_by_kind_school")
    assert info["recount"] == info["value"] == info["record_count"] < 240
    assert info["share_recount"] == pytest.approx(info["share"]) == pytest.approx(100 * info["value"] / 240)
    assert "the report did not print this value" in explain_text(info)
    year = explain(paths, "visitors_by_year_2024_south")
    assert year["recount"] == year["value"] and "2024-06-30" in year["rule_in_words"]


@needs_browser
def test_chart_files_record_their_renderer_and_the_plot_is_inside_the_panel(built: Path):
    rec = record(built)
    made = {o["path"]: o.get("renderer") for o in rec["outputs"]}
    assert made["panels/02-visitors_by_year.plot.svg"] == "plotly+kaleido"
    assert made["panels/02-visitors_by_year.svg"] == "template"
    assert made["panels/02-visitors_by_year.html"] == "plotly"
    folder = built / "outputs" / PROJECT / "latest"
    plot = (folder / "panels/02-visitors_by_year.plot.svg").read_text()
    panel = (folder / "panels/02-visitors_by_year.svg").read_text()
    page = (folder / "page.svg").read_text()
    assert 'id="panel-visitors_by_year--plot"' in panel and "<title" in panel
    # plotly's random per-plot id is gone: every clip id is derived from the panel, unique on the page
    from infopipe.present.chart_export import id_token

    token = id_token("panel-visitors_by_year--plot")
    assert f'id="defs-{token}"' in plot and f"clip{token}" in page
    clip_ids = [i for i in __import__("re").findall(r'id="(clip[^"]+)"', page)]
    assert len(clip_ids) == len(set(clip_ids)) > 4
    assert '<text xml:space="preserve"' in plot
    # the data labels are the marks' printed texts
    figures = json.loads((folder / "figures.json").read_text())["figures"]
    for m in (f for f in figures if f.get("parent") == "visitors_by_year"):
        assert f">{m['printed']}<" in plot
    html = (folder / "panels/05-visits_by_country.html").read_text()
    assert 'src="plotly.min.js"' in html and "cdn" not in html.lower()
    assert (folder / "panels/plotly.min.js").stat().st_size > 1_000_000
    assert (folder / "panels/topojson/world_110m.json").is_file()


def test_shipped_world_map_is_the_recorded_file():
    from infopipe.present.chart_export import TOPOJSON_DIR, TOPOJSON_FILE, TOPOJSON_SHA256

    assert hashlib.sha256((TOPOJSON_DIR / TOPOJSON_FILE).read_bytes()).hexdigest() == TOPOJSON_SHA256
    assert TOPOJSON_SHA256 in (TOPOJSON_DIR / "SOURCE.md").read_text()
    assert "MIT" in (TOPOJSON_DIR / "LICENSE").read_text()


# ---------------------------------------------------------------- reproducible, offline

@needs_browser
@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0, reason="needs unshare as root")
def test_second_process_without_network_gives_the_same_bytes(built: Path, tmp_path: Path):
    """Another process, in a network namespace with no interface up: the map still draws (the world
    map is shipped) and every SVG, PNG and PDF is byte-identical to the first run's."""
    probe = subprocess.run(["unshare", "-n", "python3", "-c", "import socket; socket.create_connection(('1.1.1.1', 53), 2)"],
                           capture_output=True, text=True)
    assert probe.returncode != 0, "the namespace still reaches the network"
    other = chart_root(tmp_path / "offline")
    done = run_cli(other, prefix=("unshare", "-n"))
    assert done.returncode == 0, done.stderr[-3000:]
    first = tree_hashes(built / "outputs" / PROJECT / "latest")
    second = tree_hashes(other / "outputs" / PROJECT / "latest")
    drawn = [p for p in first if p.endswith((".svg", ".png", ".pdf", ".html", ".js", ".json"))
             and p not in ("provenance.json", "ro-crate-metadata.json", "report.html")]
    assert any(p.endswith(".plot.svg") for p in drawn) and "page.pdf" in drawn
    assert {p: first[p] for p in drawn} == {p: second.get(p) for p in drawn}


# ---------------------------------------------------------------- a browser only when a chart changed

@needs_browser
def test_typographic_change_starts_no_browser_and_a_chart_change_redraws_that_chart(tmp_path: Path):
    root = chart_root(tmp_path / "root")
    wrapper, log = counting_browser(tmp_path)
    env = {"BROWSER_PATH": str(wrapper)}
    assert run_cli(root, env=env).returncode == 0
    assert launches(log) == 1  # the cold run: one browser for all four charts
    spec = root / "projects" / PROJECT / "spec.yaml"

    spec.write_text(spec.read_text().replace("label: group visits", "label: group visits booked"))
    done = run_cli(root, env=env)
    assert done.returncode == 0, done.stderr
    assert launches(log) == 1, "a typographic change started a browser"
    rec = record(root)
    assert all(o["reused"] for o in rec["rendered"] if o["renderer"] == "plotly+kaleido")
    assert set(rec["redone"]["files"]) == {"panels/01-visits.svg", "panels/01-visits.png", "panels/01-visits@2x.png",
                                           "panels/01-visits.pdf", "page.svg", "page.png", "page.pdf",
                                           "alt-text.json", "embed.html", "index.html"}

    spec.write_text(spec.read_text().replace("label: Who visits", "label: Who visits\n    note: by kind of group")
                    .replace("kind: share\n      by: {column: kind}", "kind: share\n      by: {column: kind}\n      style: bar"))
    done = run_cli(root, env=env)
    assert done.returncode == 0, done.stderr
    assert launches(log) == 2, "a changed chart is drawn in one browser"
    redone = set(record(root)["redone"]["files"])
    stem = "panels/03-visits_by_kind"
    assert redone == {f"{stem}.plot.svg", f"{stem}.svg", f"{stem}.png", f"{stem}@2x.png", f"{stem}.pdf",
                      f"{stem}.html", "page.svg", "page.png", "page.pdf", "embed.html"}


# ---------------------------------------------------------------- the spec says what the data must show

def test_a_partial_last_year_must_be_declared(tmp_path: Path):
    from infopipe.errors import InfopipeError
    from infopipe.run.pipeline import Paths, validate_only

    root = chart_root(tmp_path / "root")
    spec = root / "projects" / PROJECT / "spec.yaml"
    spec.write_text(spec.read_text().replace('      partial_last: "2024 to 30 June"\n', "", 1))
    with pytest.raises(InfopipeError) as err:
        validate_only(Paths.for_project(PROJECT, root))
    assert "the last year, 2024, is covered only from 2024-01-01 to 2024-06-30: say so with partial_last" in str(err.value)


def test_printed_marks_are_claims_and_unknown_marks_are_refused(tmp_path: Path):
    from infopipe.errors import InfopipeError
    from infopipe.run.pipeline import Paths, validate_only

    root = chart_root(tmp_path / "root")
    spec = root / "projects" / PROJECT / "spec.yaml"
    base = spec.read_text()
    paths = Paths.for_project(PROJECT, root)
    marks = '      by: {column: kind}\n      marks:\n        - {key: adult, published: "47%"}\n        - {key: school, published: "SCHOOL"}\n'
    spec.write_text(base.replace("      by: {column: kind}\n", marks.replace("SCHOOL", "26%")))
    results = {r.id: r for r in validate_only(paths)["figures"]}
    assert results["visits_by_kind_adult"].claim_holds and results["visits_by_kind_school"].matches
    assert results["visits_by_kind_family"].published is None
    spec.write_text(base.replace("      by: {column: kind}\n", marks.replace("SCHOOL", "30%")))
    with pytest.raises(InfopipeError) as err:
        validate_only(paths)
    assert "figure 'visits_by_kind_school' computes to" in str(err.value) and "'30%'" in str(err.value)
    accepted = marks.replace('published: "SCHOOL"}', 'published: "30%", accepted_difference: "the report rounds up"}')
    spec.write_text(base.replace("      by: {column: kind}\n", accepted))
    school = {r.id: r for r in validate_only(paths)["figures"]}["visits_by_kind_school"]
    assert school.claim_holds is False and school.accepted_difference == "the report rounds up"
    spec.write_text(base.replace("      by: {column: kind}\n", marks.replace("school", "teachers").replace("SCHOOL", "26%")))
    with pytest.raises(InfopipeError) as err:
        validate_only(paths)
    assert "marks 'teachers' are listed under marks but the data has no such mark" in str(err.value)


# ---------------------------------------------------------------- marks against a naive recount

def _naive_key(row: dict, chart: dict) -> str:
    every, day = chart["by"].get("every"), row["day"]
    if every == "year":
        return str(day.year)
    if every == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if every == "month":
        return f"{day.year}-{day.month:02d}"
    return row[chart["by"]["column"]]


def _all_buckets(every: str) -> list[str]:
    if every == "year":
        return ["2019", "2020", "2021"]
    if every == "quarter":
        return [f"{y}-Q{q}" for y in (2019, 2020, 2021) for q in range(1, 5)]
    return [f"{y}-{m:02d}" for y in (2019, 2020, 2021) for m in range(1, 13)]


CHARTS = [
    ({"type": "sum", "column": "n"}, {"kind": "bar", "by": {"column": "cat"}, "series": {"column": "grp"}}),
    ({"type": "count_rows"}, {"kind": "bar", "by": {"column": "day", "every": "year"}}),
    ({"type": "count_rows"}, {"kind": "bar", "by": {"column": "day", "every": "month"}, "mode": "stacked",
                              "series": {"column": "grp"}}),
    ({"type": "count_rows"}, {"kind": "share", "by": {"column": "cat"}}),
    ({"type": "sum", "column": "n"}, {"kind": "line", "by": {"column": "day", "every": "quarter"},
                                      "series": {"column": "grp"}}),
    ({"type": "count_rows"}, {"kind": "map", "by": {"column": "country"},
                              "countries": {"codes": "alpha2", "not_countries": "count_apart"}}),
    ({"type": "max", "column": "n"}, {"kind": "map", "by": {"column": "country"},
                                      "countries": {"codes": "alpha2", "not_countries": "exclude"}}),
]


def _strategy():
    import datetime as dt

    from hypothesis import strategies as st

    row = st.fixed_dictionaries({
        "day": st.dates(dt.date(2019, 1, 1), dt.date(2021, 12, 31)), "cat": st.sampled_from(["a", "b", "c d"]),
        "country": st.sampled_from(["GB", "FR", "DE", "online", "JP"]), "n": st.integers(1, 1000),
        "grp": st.sampled_from(["x", "y"])})
    return st.lists(row, min_size=1, max_size=60), st.sampled_from(CHARTS)


try:
    from hypothesis import given, settings

    ROWS, CHART = _strategy()
except ImportError:  # pragma: no cover
    given = None


@settings(max_examples=60, deadline=None)
@given(rows=ROWS, case=CHART)
def test_marks_match_a_naive_recount(rows, case):
    """Each kind's marks, computed by infopipe, against a group-by written out by hand in Python."""
    import pandas as pd

    from infopipe.compute import compute_figure
    from infopipe.spec.compile import compile_spec
    from infopipe.spec.model import Spec

    rule, chart = case
    spec = Spec.model_validate({
        "project": "p", "title": "t", "period": {"start": "2019-01-01", "end": "2021-12-31"},
        "datasets": {"d": {"file": "d.csv", "primary_key": "id", "period_column": "day", "columns": {
            "id": {"type": "id"}, "day": {"type": "date"}, "cat": {"type": "text"}, "country": {"type": "text"},
            "n": {"type": "integer"}, "grp": {"type": "text"}}}},
        "figures": [{"id": "c", "label": "c", "explanation": "e", "rule": {**rule, "dataset": "d"}, "chart": chart}]})
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(len(rows))],
                          "day": pd.to_datetime([r["day"] for r in rows]).astype("datetime64[s]"),
                          **{c: pd.Series([r[c] for r in rows], dtype="str") for c in ("cat", "country", "grp")},
                          "n": pd.Series([r["n"] for r in rows], dtype="Int64")})
    results = compute_figure(compile_spec(spec).figures[0], {"d": frame}, "spec.yaml")
    got = {(r.mark["key"], r.mark["series"]): (r.value, sorted(r.record_ids)) for r in results[1:]}

    groups: dict = {}
    for i, r in enumerate(rows):
        series = r["grp"] if "series" in chart else None
        groups.setdefault((_naive_key(r, chart), series), []).append((f"r{i}", r))
    series_values = sorted({r["grp"] for r in rows}) if "series" in chart else [None]
    if chart["by"].get("every"):
        keys = _all_buckets(chart["by"]["every"])
    elif chart["kind"] == "map":
        keys = sorted({r["country"] for r in rows if r["country"] != "online"})
        if chart["countries"]["not_countries"] == "count_apart" and any(r["country"] == "online" for r in rows):
            keys.append("not a country")
            groups[("not a country", None)] = groups.get(("online", None), [])
    else:
        keys = sorted({r["cat"] for r in rows})
    expected = {}
    for key in keys:
        for s in series_values:
            members = groups.get((key, s), [])
            if rule["type"] == "count_rows":
                value = len(members)
            elif rule["type"] == "sum":
                value = sum(r["n"] for _, r in members)
            else:
                if not members:
                    continue
                value = max(r["n"] for _, r in members)
            expected[(key, s)] = (value, sorted(i for i, _ in members))
    if chart["kind"] == "share":
        shares = {(r.mark["key"], r.mark["series"]): r.mark["share"] for r in results[1:]}
        assert shares == {k: pytest.approx(100.0 * v[0] / len(rows)) for k, v in expected.items()}
    assert got.keys() == expected.keys()
    for k in expected:
        assert got[k][0] == pytest.approx(expected[k][0]) and got[k][1] == expected[k][1], k
    assert results[0].value == (len(rows) if rule["type"] == "count_rows" else
                                sum(r["n"] for r in rows) if rule["type"] == "sum" else max(r["n"] for r in rows))


# ---------------------------------------------------------------- as Chromium draws the page

MEASURE = """
const out = [];
for (const g of document.querySelectorAll('g.panel')) {
  if (!g.querySelector('svg.plot')) continue;
  const f = g.querySelector('.frame').getBoundingClientRect();
  for (const t of g.querySelectorAll('text')) {
    const b = t.getBoundingClientRect();
    if (!t.textContent.trim() || b.width === 0) continue;
    out.push({panel: g.id, text: t.textContent, frame: [f.left, f.top, f.right, f.bottom],
              box: [b.left, b.top, b.right, b.bottom]});
  }
}
document.getElementById('out').textContent = JSON.stringify(out);
"""


@pytest.mark.browser
@needs_browser
def test_every_chart_text_stays_inside_its_panel_in_chromium(built: Path, tmp_path: Path):
    import html
    import re

    page = (built / "outputs" / PROJECT / "latest" / "page.svg").read_text(encoding="utf-8")
    doc = tmp_path / "measure.html"
    doc.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body style='margin:0'>"
                   + page.split("?>", 1)[1] + f"<pre id='out'></pre><script>{MEASURE}</script></body></html>",
                   encoding="utf-8")
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom", doc.as_uri()],
        capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="out">(.*?)</pre>', done.stdout, re.S)
    assert found and found.group(1), done.stderr[-2000:]
    texts = json.loads(html.unescape(found.group(1)))
    panels = {t["panel"] for t in texts}
    assert panels == {"panel-visitors_by_year", "panel-visits_by_kind", "panel-visits_per_quarter",
                      "panel-visits_by_country"}
    assert any(t["text"] == "2024*" for t in texts) and any(t["text"].endswith("47%") for t in texts)
    outside = [t for t in texts if not (t["box"][0] >= t["frame"][0] - 0.5 and t["box"][1] >= t["frame"][1] - 0.5
                                        and t["box"][2] <= t["frame"][2] + 0.5 and t["box"][3] <= t["frame"][3] + 0.5)]
    assert not outside, outside[:5]
