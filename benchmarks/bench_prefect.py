"""Warm `make run` (the flow against the running local Prefect server) against a plain `infopipe run`.

    .venv/bin/python benchmarks/bench_prefect.py [PROJECT] [--repeat 5]

Both commands run as fresh processes, as a person runs them, on a temp copy of the project, taking
turns so that background load hits both alike; one unmeasured warm-up each. The server is the
checkout's own (PREFECT_HOME=.prefect, port PREFECT_PORT or 4200): reused if running, else started
first and stopped at the end. Prints each time, the medians and the ratio (target: at most 1.3x).

Render time swings with machine load, so it also prints the time each command spends outside the
pipeline itself (wall time minus the run's own started_at..finished_at): the part Prefect adds, with
the pipeline's noise taken out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from infopipe import prefect_server

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], env: dict, latest: Path) -> tuple[float, float]:
    """Wall seconds of the command, and of those, seconds outside the pipeline's own run."""
    began = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    record = json.loads((latest / "provenance.json").read_text())
    inside = (dt.datetime.fromisoformat(record["finished_at"]) - dt.datetime.fromisoformat(record["started_at"]))
    return seconds, seconds - inside.total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", nargs="?", default="jam-and-justice")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    server = prefect_server.local_server(ROOT)
    started = prefect_server.ensure(server) == "started"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(server.home), PREFECT_PORT=str(server.port),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")])))
    try:
        with tempfile.TemporaryDirectory(prefix="infopipe-bench-") as tmp:
            root = Path(tmp)
            shutil.copytree(ROOT / "projects" / args.project, root / "projects" / args.project)
            shutil.copytree(ROOT / "data" / "raw" / args.project, root / "data" / "raw" / args.project)
            commands = {
                "plain infopipe run": [sys.executable, "-m", "infopipe.cli", "--root", tmp, "run", args.project],
                "make run (flow, warm server)": [sys.executable, str(ROOT / "flows" / "build_infographic.py"),
                                                 args.project, "--root", tmp],
            }
            latest = root / "outputs" / args.project / "latest"
            times: dict[str, list[float]] = {name: [] for name in commands}
            outside: dict[str, list[float]] = {name: [] for name in commands}
            for name, command in commands.items():
                timed(command, env, latest)  # warm-up: disk caches, the server's first queries
            for _ in range(args.repeat):
                for name, command in commands.items():
                    wall, extra = timed(command, env, latest)
                    times[name].append(wall)
                    outside[name].append(extra)
    finally:
        if started:
            prefect_server.stop(server)

    print(f"{args.project}, {args.repeat} runs each, wall seconds per run (server {server.url}"
          f"{', started for this benchmark' if started else ', already running'})")
    for name, values in times.items():
        print(f"  {name:<30} median {statistics.median(values):6.2f}  min {min(values):6.2f}  "
              f"[{' '.join(f'{v:.2f}' for v in values)}]")
    plain, flow = (statistics.median(v) for v in times.values())
    print(f"  ratio flow/plain (medians): {flow / plain:.2f}x  (target <= 1.30x)")
    out_plain, out_flow = (statistics.median(v) for v in outside.values())
    print(f"  outside the pipeline (process start, imports, Prefect): plain {out_plain:.2f} s, "
          f"flow {out_flow:.2f} s; Prefect adds {out_flow - out_plain:.2f} s per run")


if __name__ == "__main__":
    main()
