"""Measure a run step by step, and what batching the kaleido export saves.

    make bench                      # or: .venv/bin/python benchmarks/bench_run.py [PROJECT] [--repeat N]

Prints wall seconds per step (best of N plain-function runs, into a temp folder), then the export of
the same files as one write_images batch versus one write_image call per file.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from infopipe.figures import compute_figures
from infopipe.ingest import read_raw_tables
from infopipe.pipeline import Paths, run
from infopipe.render import export, plan_exports
from infopipe.spec import load_spec
from infopipe.validate import validate_tables

ROOT = Path(__file__).resolve().parents[1]


def timed_steps(project: str, repeat: int) -> dict[str, float]:
    best: dict[str, float] = {}
    for _ in range(repeat):
        timings = []

        def step(name, fn, *args, timings=timings, **kwargs):
            began = time.perf_counter()
            result = fn(*args, **kwargs)
            timings.append((name, time.perf_counter() - began))
            return result

        with tempfile.TemporaryDirectory() as tmp:
            began = time.perf_counter()
            run(Paths.for_project(project, ROOT, out=Path(tmp) / "out", processed=Path(tmp) / "processed"),
                step=step)
            timings.append(("whole run", time.perf_counter() - began))
        for name, seconds in timings:
            best[name] = min(best.get(name, seconds), seconds)
    return best


def export_batched_vs_single(project: str) -> tuple[int, float, float]:
    import plotly.io as pio

    spec = load_spec(ROOT / "projects" / project / "spec.yaml")
    tables = validate_tables(spec, read_raw_tables(spec, ROOT / "data" / "raw" / project))
    results = compute_figures(spec, tables)
    with tempfile.TemporaryDirectory() as tmp:
        jobs = plan_exports(results, spec, Path(tmp) / "a")
        began = time.perf_counter()
        export(jobs)
        batched = time.perf_counter() - began
        began = time.perf_counter()
        for job in plan_exports(results, spec, Path(tmp) / "b"):
            job.path.parent.mkdir(parents=True, exist_ok=True)
            pio.write_image(job.figure, job.path, width=job.width, height=job.height, scale=job.scale)
        single = time.perf_counter() - began
    return len(jobs), batched, single


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", nargs="?", default="jam-and-justice")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.project}: best of {args.repeat} runs (seconds)")
    for name, seconds in timed_steps(args.project, args.repeat).items():
        print(f"  {name:<16} {seconds:8.3f}")
    files, batched, single = export_batched_vs_single(args.project)
    print(f"export of {files} files: one batch {batched:.2f} s; one call per file {single:.2f} s "
          f"({single / batched:.1f}x)")


if __name__ == "__main__":
    main()
