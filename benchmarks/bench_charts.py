"""Chart panels: infopipe's chart drawing against a bare kaleido batch of the same figures, and runs
of a chart project that must start no browser.

    .venv/bin/python benchmarks/bench_charts.py [--repeat N] [--write]

1. Drawing, side by side in one process, in turns (infopipe, bare, infopipe, bare...), for the third
   report's 4 charts and for a page of 20 charts:
   - infopipe: `present.chart_panels.draw_charts` (layout of title and notes, the plotly figure, its
     key, one kaleido batch, the stabilising step, the panel body markup), nothing reused;
   - bare: `kaleido.write_fig_from_object_sync` of the same figure dicts, same options.
   Each is timed for a batch of 1 chart (the time to the first chart: the browser's start + 1) and
   for all N; per further chart = (T(N) - T(1)) / (N - 1).
2. Runs of the third report in fresh processes (`infopipe run`): cold, no change, and one typographic
   panel changed, with Chromium launches counted through a BROWSER_PATH wrapper; the same three runs
   of jam-and-justice (no charts) beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
REPORT = "unhcr-global-trends"


def chart_panels_of(project: str):
    """The chart panels of a shipped project's page, computed from its data."""
    from infopipe.compute import compute_figures
    from infopipe.data.ingest import read_raw_tables
    from infopipe.data.validate import validate_tables
    from infopipe.present.page import page_for
    from infopipe.spec.model import load_spec

    spec = load_spec(ROOT / "projects" / project / "spec.yaml")
    tables = validate_tables(spec, read_raw_tables(spec, ROOT / "data" / "raw" / project))
    page = page_for(spec, compute_figures(spec, tables))
    return page, [p for p in page.panels if p.chart is not None]


def twenty(page, panels):
    """20 chart panels: the report's and the test project's charts, repeated under new ids."""
    from dataclasses import replace

    out = []
    while len(out) < 20:
        for p in panels:
            if len(out) < 20:
                out.append(replace(p, id=f"{p.id}_{len(out):02d}"))
    return out


def time_infopipe(panels, page) -> float:
    from infopipe.present import chart_panels

    began = time.perf_counter()
    with chart_panels.session({}):
        chart_panels.draw_charts(tuple(panels), page.theme, page.layout)
    return time.perf_counter() - began


def time_bare(panels, page) -> float:
    import kaleido

    from infopipe.present import chart_export, chart_panels

    laid = [chart_panels.layout_chart_panel(p, page.theme, page.layout) for p in panels]  # the figures, untimed
    figures = [next(i for i in items if isinstance(i, chart_panels.Plot)).figure for items in laid]
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [{"fig": f, "path": f"{tmp}/{i}.svg", "topojson": chart_export.TOPOJSON_DIR.as_uri() + "/",
                 "opts": {"format": "svg", "width": f["layout"]["width"], "height": f["layout"]["height"]}}
                for i, f in enumerate(figures)]
        began = time.perf_counter()
        kaleido.write_fig_from_object_sync(jobs, kopts={"mathjax": False, "path": chart_export.browser_path()},
                                           cancel_on_error=True)
        return time.perf_counter() - began


def drawing(name: str, page, panels, repeat: int) -> dict:
    times = {(who, n): [] for who in ("infopipe", "bare") for n in (1, len(panels))}
    for _ in range(repeat):
        for n in (1, len(panels)):  # in turns, each one first half the time
            first, second = (time_infopipe, time_bare) if len(times[("bare", n)]) % 2 else (time_bare, time_infopipe)
            for who, fn in ((("infopipe" if first is time_infopipe else "bare"), first),
                            (("infopipe" if second is time_infopipe else "bare"), second)):
                times[(who, n)].append(fn(panels[:n], page))
    med = {k: statistics.median(v) for k, v in times.items()}
    n = len(panels)
    row = {"page": name, "charts": n}
    for who in ("infopipe", "bare"):
        row[f"{who}_first"] = med[(who, 1)]
        row[f"{who}_all"] = med[(who, n)]
        row[f"{who}_further"] = (med[(who, n)] - med[(who, 1)]) / (n - 1)
    return row


# ---------------------------------------------------------------- runs in fresh processes

def counting_browser(folder: Path) -> tuple[Path, Path]:
    log = folder / "launches.log"
    wrapper = folder / "chromium-counted"
    wrapper.write_text(f"#!/bin/sh\necho launch >> {log}\nexec {shutil.which('chromium')} \"$@\"\n")
    wrapper.chmod(0o755)
    return wrapper, log


def run_once(root: Path, project: str, env: dict) -> float:
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "infopipe.cli", "run", project, "--root", str(root)],
                          capture_output=True, text=True, env=env)
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{project}: {done.stderr[-2000:]}")
    return took


def runs(project: str, typographic: tuple[str, str], repeat: int) -> list[dict]:
    rows = {"cold": [], "no change": [], "one typographic panel": []}
    launched = {k: 0 for k in rows}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "root"
            shutil.copytree(ROOT / "projects" / project, root / "projects" / project)
            shutil.copytree(ROOT / "data" / "raw" / project, root / "data" / "raw" / project)
            wrapper, log = counting_browser(Path(tmp))
            env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "BROWSER_PATH": str(wrapper)}
            count = lambda: len(log.read_text().splitlines()) if log.exists() else 0  # noqa: E731
            before = count()
            rows["cold"].append(run_once(root, project, env))
            launched["cold"] = count() - before
            before = count()
            rows["no change"].append(run_once(root, project, env))
            launched["no change"] = count() - before
            spec = root / "projects" / project / "spec.yaml"
            spec.write_text(spec.read_text().replace(*typographic, 1))
            before = count()
            rows["one typographic panel"].append(run_once(root, project, env))
            launched["one typographic panel"] = count() - before
    return [{"project": project, "run": k, "seconds": statistics.median(v), "browsers": launched[k]}
            for k, v in rows.items()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="append the tables to benchmarks/RESULTS.md")
    args = parser.parse_args()
    page, panels = chart_panels_of(REPORT)
    demo_page, demo = chart_panels_of_test_project()
    drawn = [drawing(f"{REPORT} ({len(panels)} charts)", page, panels, args.repeat),
             drawing("20 charts", demo_page, twenty(demo_page, panels + demo), args.repeat)]
    ran = runs(REPORT, ("label: forcibly displaced worldwide at the end of 2023",
                        "label: forcibly displaced worldwide, end of 2023"), args.repeat)
    ran += runs("jam-and-justice", ("label: institutions", "label: partner institutions"), args.repeat)
    lines = [f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
             f"median of {args.repeat}; load average at the end {os.getloadavg()[0]:.1f}.", "",
             "| page | charts | infopipe: first chart | bare kaleido: first chart | infopipe: per further | "
             "bare: per further | infopipe: all | bare: all | all / bare |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in drawn:
        lines.append(f"| {r['page']} | {r['charts']} | {r['infopipe_first']:.2f} s | {r['bare_first']:.2f} s | "
                     f"{r['infopipe_further']:.2f} s | {r['bare_further']:.2f} s | {r['infopipe_all']:.2f} s | "
                     f"{r['bare_all']:.2f} s | {r['infopipe_all'] / r['bare_all']:.2f}x |")
    lines += ["", "| project | run | wall | Chromium launches |", "|---|---|---:|---:|"]
    lines += [f"| {r['project']} | {r['run']} | {r['seconds']:.2f} s | {r['browsers']} |" for r in ran]
    text = "\n".join(lines)
    print(text)
    if args.write:
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(f"\n## Chart panels\n\n`.venv/bin/python benchmarks/bench_charts.py --repeat {args.repeat} "
                    f"--write`\n\n{text}\n")


def chart_panels_of_test_project():
    """The chart test project's page (tests/chart_project): a bar with series, a donut, lines, a map."""
    from infopipe.compute import compute_figures
    from infopipe.data.ingest import read_raw_tables
    from infopipe.data.validate import validate_tables
    from infopipe.present.page import page_for
    from infopipe.spec.model import load_spec

    source = ROOT / "tests" / "chart_project"
    spec = load_spec(source / "spec.yaml")
    tables = validate_tables(spec, read_raw_tables(spec, source / "raw"))
    page = page_for(spec, compute_figures(spec, tables))
    return page, [p for p in page.panels if p.chart is not None]


if __name__ == "__main__":
    main()
