"""Time rendering a Jam-and-Justice-sized page (7 panels: 21 panel files, page SVG/PNG/PDF, alt text,
gallery), cold, in fresh Python processes, and what reuse saves when nothing changed.

    .venv/bin/python benchmarks/bench_render.py [--repeat N]

"cold" is a new process each time: imports, fontconfig look-ups, font loading, layout, templates,
resvg and cairosvg, all included (the interpreter's own start is not). Prints the median and best of
N, split into import / plan / write, then a warm re-render and a reuse-everything pass in one process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
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


def child(script: str, folder: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(TESTS), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, text=True,
                         env=env, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            runs.append(child(COLD, Path(tmp) / f"cold{i}"))
        warm = child(WARM, Path(tmp) / "warm")
    print(f"Jam-and-Justice-sized page, {runs[0]['files']} files {runs[0]['by_renderer']}, "
          f"{args.repeat} cold processes (seconds)")
    for key in ("import", "plan", "write", "total"):
        values = [r[key] for r in runs]
        print(f"  {key:<7} median {statistics.median(values):6.3f}   best {min(values):6.3f}")
    print(f"  warm re-render in one process: {warm['warm']:.3f}")
    print(f"  nothing changed, reuse: {warm['reuse']:.3f} ({warm['reused']} copied, {warm['rendered']} drawn)")


if __name__ == "__main__":
    main()
