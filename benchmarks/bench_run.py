"""Measure a run step by step.

    make bench                      # or: .venv/bin/python benchmarks/bench_run.py [PROJECT] [--repeat N]

Prints wall seconds per step (best of N plain-function runs, into a temp folder).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from infopipe.pipeline import Paths, run

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", nargs="?", default="jam-and-justice")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.project}: best of {args.repeat} runs (seconds)")
    for name, seconds in timed_steps(args.project, args.repeat).items():
        print(f"  {name:<16} {seconds:8.3f}")
    print("render alone (cold, per file): benchmarks/bench_render.py")


if __name__ == "__main__":
    main()
