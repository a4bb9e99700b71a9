"""Big pages and many projects: what the raster processes, libyaml and parallel build-all save,
each measured side by side with the way it was done before, in one run.

    .venv/bin/python benchmarks/bench_big.py [--figures 500] [--projects 20] [--repeat 2] [--write]

1. A page of N figures (big_page.py), cold: `infopipe run` in a fresh process with the rasters drawn
   by worker processes, and with INFOPIPE_RASTER_PROCESSES=1 (all in the run's process), in turns.
   The two runs' drawn files (SVG, PNG, PDF) must be byte-identical.
2. Reading that spec: libyaml with lines (what load_spec uses) against the pure-Python loader, in
   one process, the best of 5 each.
3. `infopipe build-all` of M copies of Jam and Justice, cold: `--parallel 2` against one after
   another, in turns.
`--write` puts the tables into benchmarks/RESULTS.md under "Big pages and many projects".
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

import big_page  # noqa: E402
from bench_incremental import write_section  # noqa: E402

INFOPIPE = [sys.executable, "-m", "infopipe.cli"]


def timed(command: list[str], env: dict | None = None) -> float:
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})})
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return seconds


def drawn(root: Path, project: str) -> dict[str, str]:
    """Every drawn file's hash (panels and page: SVG, PNG, PDF); figures.json names its own root."""
    record = json.loads((root / "outputs" / project / "latest" / "provenance.json").read_text())
    return {o["path"]: o["sha256"] for o in record["outputs"] if o.get("renderer") in ("resvg", "cairosvg")
            or o["path"].endswith(".svg")}


def big_page_runs(figures: int, repeat: int) -> tuple[dict[str, list[float]], int]:
    """Cold runs of the big page, rasters in worker processes and in the run's process, in turns."""
    modes = {"rasters in worker processes": {}, "rasters in the run's process": {"INFOPIPE_RASTER_PROCESSES": "1"}}
    times: dict[str, list[float]] = {m: [] for m in modes}
    files = 0
    for _ in range(repeat):
        outputs = []
        for mode, env in modes.items():
            with tempfile.TemporaryDirectory(prefix="infopipe-bench-big-") as tmp:
                root = Path(tmp)
                big_page.write_project(root, "big-page", figures)
                times[mode].append(timed([*INFOPIPE, "--root", str(root), "run", "big-page"], env))
                outputs.append(drawn(root, "big-page"))
        if outputs[0] != outputs[1]:
            raise SystemExit("the two ways of drawing made different bytes: "
                             + ", ".join(sorted(p for p in outputs[0] if outputs[0][p] != outputs[1].get(p))[:10]))
        files = len(outputs[0])
    return times, files


def spec_loading(figures: int) -> dict[str, float]:
    import yaml

    from infopipe.spec import model

    text = big_page.spec_text("big-page", figures)
    best = {}
    for name, loader in (("libyaml with lines", model.LOADERS[0]), ("pure-Python with lines", model._LineLoader)):
        runs = []
        for _ in range(5):
            began = time.perf_counter()
            yaml.load(text, Loader=loader)
            runs.append(time.perf_counter() - began)
        best[name] = min(runs)
    return best


def build_all_runs(projects: int, repeat: int) -> dict[str, list[float]]:
    modes = {"--parallel 2 (worker processes)": ["--parallel", "2"], "one after another": []}
    times: dict[str, list[float]] = {m: [] for m in modes}
    for _ in range(repeat):
        for mode, extra in modes.items():
            with tempfile.TemporaryDirectory(prefix="infopipe-bench-many-") as tmp:
                root = Path(tmp)
                spec = (ROOT / "projects" / "jam-and-justice" / "spec.yaml").read_text(encoding="utf-8")
                for i in range(projects):
                    name = f"p{i + 1:02d}"
                    (root / "projects" / name).mkdir(parents=True)
                    (root / "projects" / name / "spec.yaml").write_text(
                        spec.replace("project: jam-and-justice", f"project: {name}"), encoding="utf-8")
                    shutil.copytree(ROOT / "data" / "raw" / "jam-and-justice", root / "data" / "raw" / name)
                times[mode].append(timed([*INFOPIPE, "--root", str(root), "build-all", *extra]))
    return times


def table(title: str, times: dict[str, list[float]], extra: str = "") -> list[str]:
    names = list(times)
    medians = {n: statistics.median(times[n]) for n in names}
    lines = [f"| {title} | median s | min s | runs | against the last row |", "|---|---:|---:|---:|---:|"]
    for n in names:
        lines.append(f"| {n} | {medians[n]:.2f} | {min(times[n]):.2f} | {len(times[n])} | "
                     f"{medians[n] / medians[names[-1]]:.2f}x |")
    return lines + ([extra] if extra else [])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--figures", type=int, default=500)
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    page, files = big_page_runs(args.figures, args.repeat)
    spec = spec_loading(args.figures)
    many = build_all_runs(args.projects, args.repeat)
    after = os.getloadavg()[0]
    lines = [f"Machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores, Python "
             f"{platform.python_version()}; load average {load:.1f} before and {after:.1f} after (the machine "
             "was shared with other work: compare the rows of one table, measured in turns, not the seconds "
             "with other tables). Each run is its own process, wall seconds, cold (nothing built).", "",
             f"A page of {args.figures} figures, cold `infopipe run` ({files} drawn files, SVG, PNG and PDF, "
             "byte-identical both ways):", "",
             *table("rasters (PNG 1x, 2x, PDF)", page), "",
             f"Reading that spec ({len(big_page.spec_text('x', args.figures)):,} bytes), best of 5 in one process:", "",
             "| loader | s | against pure Python |", "|---|---:|---:|",
             *(f"| {n} | {s:.3f} | {s / spec['pure-Python with lines']:.2f}x |" for n, s in spec.items()), "",
             f"`infopipe build-all` of {args.projects} copies of Jam and Justice, cold:", "",
             *table("projects", many)]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("Big pages and many projects",
                      f"`.venv/bin/python benchmarks/bench_big.py {' '.join(sys.argv[1:])}`\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
