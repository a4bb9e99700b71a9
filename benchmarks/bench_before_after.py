"""Two versions of infopipe side by side: a cold `infopipe run` of the scale table, in turns.

This machine's speed drifts within an hour, so a change is measured against the code before it in
one sitting, each version in a fresh process, one after the other: `--before` is another checkout's
src folder (for example a `git worktree add /tmp/before HEAD~3`). Prints each run's step times.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_before_after.py --before /tmp/before/src --rows 10M
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_data  # noqa: E402
from bench_scale import SIZES, run_fresh  # noqa: E402


def cold_run(src: Path, folder: Path) -> dict:
    """One cold `infopipe run` of the table's project (bench_scale's, in a fresh process) with `src`
    first on the path: its step times, wall time, CPU time and peak memory."""
    os.environ["PYTHONPATH"] = str(src)
    done = run_fresh("infopipe", folder)
    return {**done["steps"], "run": done["run"], "cpu": done["cpu"], "peak MiB": done["peak_mib"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the other version's src folder")
    parser.add_argument("--after", type=Path, default=HERE.parent / "src", help="this checkout's src (default)")
    parser.add_argument("--rows", default="10M", choices=list(SIZES))
    parser.add_argument("--turns", type=int, default=3)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="infopipe-before-after-"))
    try:
        scale_data.write_project(folder, SIZES[args.rows], max_file_bytes=10**12)
        runs: dict[str, list[dict]] = {"before": [], "after": []}
        for turn in range(args.turns):
            for name, src in (("before", args.before), ("after", args.after)):
                runs[name].append(cold_run(src.resolve(), folder))
                print(f"turn {turn + 1} {name:6s} " + "  ".join(f"{k} {v:.2f}" for k, v in runs[name][-1].items()),
                      flush=True)
        for key in runs["after"][0]:
            before = statistics.median(r[key] for r in runs["before"])
            after = statistics.median(r[key] for r in runs["after"])
            print(f"median {key:9s} before {before:8.2f}  after {after:8.2f}  after/before {after / before:.2f}x")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
