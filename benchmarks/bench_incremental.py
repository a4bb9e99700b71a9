"""Wall time and work done for the five kinds of run, side by side in one script.

    .venv/bin/python benchmarks/bench_incremental.py [PROJECT] [--flow] [--repeat N] [--write]

Each repeat copies the project into a fresh temp root and runs, as separate processes:
cold (nothing built), no change, one raw record edited, one label edited, one theme colour edited.
`--flow` also runs each through the Prefect flow (`infopipe run --prefect`, against the local server,
started first). `--write` puts the table into benchmarks/RESULTS.md under "Incremental runs".
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
INFOPIPE = [sys.executable, "-m", "infopipe.cli"]
EDITS = {  # scenario: (file relative to the root, old text, new text)
    "one record": ("data/raw/{p}/funding_awards.csv", ",1000000,", ",1400000,"),
    "one label": ("projects/{p}/spec.yaml", "label: ARC projects", "label: ARC test-and-learn projects"),
    "theme": ("projects/{p}/spec.yaml", 'text: "#2b2118"', 'text: "#1b1108"'),
}
SCENARIOS = ["cold", "no change", *EDITS]


def copy_root(dest: Path, project: str) -> Path:
    shutil.copytree(ROOT / "projects" / project, dest / "projects" / project)
    shutil.copytree(ROOT / "data" / "raw" / project, dest / "data" / "raw" / project)
    return dest


def one_run(root: Path, project: str, flow: bool) -> tuple[float, str]:
    """Seconds for one `infopipe run` in its own process, and what it redid."""
    command = [*INFOPIPE, "--root", str(root), "run", project] + (["--prefect"] if flow else [])
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"run failed:\n{done.stderr[-2000:]}")
    log = (root / "outputs" / project / "provenance.jsonl").read_text(encoding="utf-8").splitlines()
    last = json.loads(log[-1])
    if last["status"] == "up-to-date":
        return seconds, "nothing (up to date)"
    record = json.loads((root / "outputs" / project / "latest" / "provenance.json").read_text())
    redone = record["redone"]
    files = redone["files"]
    shown = ", ".join(sorted({f.split("/")[-1].split(".")[0].split("@")[0] for f in files})) or "none"
    return seconds, (f"datasets: {', '.join(redone['datasets']) or 'none'}; figures: "
                     f"{', '.join(redone['figures']) or 'none'}; {len(files)} files drawn ({shown})")


def scenarios(project: str, flow: bool) -> dict[str, tuple[float, str]]:
    with tempfile.TemporaryDirectory(prefix="infopipe-bench-") as tmp:
        root = copy_root(Path(tmp), project)
        out = {}
        for name in SCENARIOS:
            if name in EDITS:
                rel, old, new = EDITS[name]
                path = root / rel.format(p=project)
                path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
            out[name] = one_run(root, project, flow)
        return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", nargs="?", default="jam-and-justice")
    parser.add_argument("--flow", action="store_true", help="also run through the Prefect flow")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    modes = ["plain CLI"] + (["Prefect flow"] if args.flow else [])
    if args.flow:
        subprocess.run([*INFOPIPE, "server", "start"], check=True, timeout=300)
    results: dict[str, dict[str, list]] = {m: {s: [] for s in SCENARIOS} for m in modes}
    for _ in range(args.repeat):
        for mode in modes:  # interleaved, so both modes see the same machine load
            for name, (seconds, what) in scenarios(args.project, mode != "plain CLI").items():
                results[mode][name].append((seconds, what))
    lines = [f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
             f"median of {args.repeat} (each run its own process, wall seconds).", "",
             "| run | " + " | ".join(modes) + (" | flow / plain" if args.flow else "") + " | redone |",
             "|---|" + "---|" * (len(modes) + (1 if args.flow else 0)) + "---|"]
    for name in SCENARIOS:
        medians = [statistics.median(s for s, _ in results[m][name]) for m in modes]
        cells = [f"{t:.2f} s" for t in medians] + ([f"{medians[1] / medians[0]:.2f}x"] if args.flow else [])
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {results[modes[0]][name][-1][1]} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section("Incremental runs", f"`{' '.join(['.venv/bin/python', *sys.argv])}`\n\n{table}")
    return 0


def write_section(heading: str, body: str) -> None:
    """Replace (or add) one '## heading' section of benchmarks/RESULTS.md."""
    path = ROOT / "benchmarks" / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    parts = text.split(f"\n## {heading}\n")
    rest = parts[1].split("\n## ", 1)[1] if len(parts) > 1 and "\n## " in parts[1] else ""
    text = parts[0].rstrip() + f"\n\n## {heading}\n\n{body}\n" + (f"\n## {rest}" if rest else "")
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
