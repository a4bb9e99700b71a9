"""Time rendering a Jam-and-Justice-sized page (7 panels: 21 panel files, page SVG/PNG/PDF, alt text,
gallery), cold, in fresh Python processes, and what reuse saves when nothing changed.

    .venv/bin/python benchmarks/bench_render.py [--repeat N] [--write]

"cold" is a new process each time: imports, fontconfig look-ups, font loading, layout, templates,
resvg and cairosvg, all included (the interpreter's own start is not). Prints the median and best of
N, split into import / plan / write, then a warm re-render and a reuse-everything pass in one process.
Cold runs alternate between rasters drawn by worker processes (the default) and in the process
(INFOPIPE_RASTER_PROCESSES=1). `--write` puts the table into benchmarks/RESULTS.md under "Render".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(Path(__file__).resolve().parent))
TESTS = SRC.parent / "tests"  # panel_samples: the shipped sample pages

COLD = """
import json, sys, time
began = time.perf_counter()
from panel_samples import jam_page
from infopipe.present.render import plan_outputs, write_outputs
imported = time.perf_counter()
from pathlib import Path
folder = Path(sys.argv[1])
outputs = plan_outputs(jam_page(), folder)
planned = time.perf_counter()
done = write_outputs(outputs, folder)
written = time.perf_counter()
by = {}
for o in outputs:
    by[o.renderer] = by.get(o.renderer, 0) + 1
print(json.dumps({"import": imported - began, "plan": planned - imported, "write": written - planned,
                  "total": written - began, "files": len(done.rendered), "by_renderer": by}))
"""

WARM = """
import json, sys, time
from pathlib import Path
from panel_samples import jam_page
from infopipe.present.render import plan_outputs, write_outputs
root = Path(sys.argv[1])
first = plan_outputs(jam_page(), root / "a"); write_outputs(first, root / "a")
began = time.perf_counter()
again = plan_outputs(jam_page(), root / "b"); write_outputs(again, root / "b")
warm = time.perf_counter() - began
began = time.perf_counter()
same = plan_outputs(jam_page(), root / "c")
done = write_outputs(same, root / "c", reuse_from=root / "a", reuse_keys={o.path: o.key for o in first})
reuse = time.perf_counter() - began
print(json.dumps({"warm": warm, "reuse": reuse, "reused": len(done.reused), "rendered": len(done.rendered)}))
"""


def child(script: str, folder: Path, env: dict | None = None) -> dict:
    env = {**os.environ, **(env or {}),
           "PYTHONPATH": os.pathsep.join([str(SRC), str(TESTS), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, text=True,
                         env=env, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


MODES = {"rasters in worker processes": {}, "rasters in the process": {"INFOPIPE_RASTER_PROCESSES": "1"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {m: [] for m in MODES}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            for mode, env in MODES.items():  # in turns, so both meet the same load
                runs[mode].append(child(COLD, Path(tmp) / f"cold{i}-{len(runs[mode])}-{env and 1}", env))
        warm = child(WARM, Path(tmp) / "warm")
    first = runs[next(iter(MODES))][0]
    print(f"Jam-and-Justice-sized page, {first['files']} files {first['by_renderer']}, "
          f"{args.repeat} cold processes each way (seconds)")
    for mode in MODES:
        print(f"  {mode}:")
        for key in ("import", "plan", "write", "total"):
            values = [r[key] for r in runs[mode]]
            print(f"    {key:<7} median {statistics.median(values):6.3f}   best {min(values):6.3f}")
    print(f"  warm re-render in one process: {warm['warm']:.3f}")
    print(f"  nothing changed, reuse: {warm['reuse']:.3f} ({warm['reused']} copied, {warm['rendered']} drawn)")
    if args.write:
        from bench_incremental import write_section

        write_section("Render", table(runs, warm, first, args.repeat))


def table(runs: dict[str, list[dict]], warm: dict, first: dict, repeat: int) -> str:
    med = {m: {k: statistics.median(r[k] for r in runs[m]) for k in ("import", "plan", "write", "total")}
           for m in runs}
    by = ", ".join(f"{n} {r}" for r, n in first["by_renderer"].items())
    lines = [f"`.venv/bin/python benchmarks/bench_render.py --repeat {repeat} --write`", "",
             f"Machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores, Python "
             f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} (shared with other work). "
             f"Cold = a fresh process: imports, fonts, layout, templates and drawing ({first['files']} files: "
             f"{by}); median of {repeat}, the two ways in turns. Warm and reuse: one process.", "",
             "| page | cold s | imports s | plan s | write s | warm s | nothing changed (reuse) s |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for mode, m in med.items():
        lines.append(f"| Jam and Justice, 7 typographic panels, {mode} | {m['total']:.2f} | {m['import']:.2f} | "
                     f"{m['plan']:.2f} | {m['write']:.2f} | " + (f"{warm['warm']:.2f} | {warm['reuse']:.2f} |"
                                                                 if mode == next(iter(med)) else "| |"))
    lines.append("| chart panels (bar, share, line, map) | (the chart panels' row: to be added with them) | | | | | |")
    lines += ["", "A page of 500 figures and build-all of 20 projects: see \"Big pages and many projects\"."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
