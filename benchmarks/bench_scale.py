"""How infopipe's data path scales: ingest, validate and compute on 10k to 10M rows, against the floor.

    .venv/bin/python benchmarks/bench_scale.py                    # 10k, 100k, 1M and 10M rows
    .venv/bin/python benchmarks/bench_scale.py --sizes 10k,100k,1M --no-write

For each size a seeded events table (ids, dates, categories, a reference to a venues table, money;
see scale_data.py) is written to a temp folder with its spec. Each measurement runs in a fresh
process, started by a small runner process that waits for it and reads its peak memory with
getrusage(RUSAGE_CHILDREN), so no size inherits another's memory. Measured in that process:
infopipe's read_raw_tables (ingest), validate_tables (validate) and compute_figures (compute: a
count_rows with a filter and a count_distinct); and, in another fresh process, a plain
pyarrow.csv.read_csv of the same file, the floor. Results go to benchmarks/RESULTS.md under
"Big tables", with the machine they were measured on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
TODAY = dt.date(2025, 6, 1)
HEADING = "## Big tables"
RUNNER = ("import json, resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
          "used = resource.getrusage(resource.RUSAGE_CHILDREN); "
          "print(json.dumps({'rc': done.returncode, 'peak_kib': used.ru_maxrss, "
          "'cpu': used.ru_utime + used.ru_stime}))")


def measure_infopipe(folder: Path) -> dict:
    """Runs in a fresh process: the three steps, timed one after the other."""
    from infopipe.compute import compute_figures
    from infopipe.data.ingest import read_raw_tables
    from infopipe.spec.model import load_spec
    from infopipe.data.validate import validate_tables

    warm_pandera()
    spec = load_spec(folder / "spec.yaml")
    out = {}
    began = time.perf_counter()
    raw = read_raw_tables(spec, folder / "raw")
    out["ingest"] = time.perf_counter() - began
    began = time.perf_counter()
    tables = validate_tables(spec, raw, TODAY)
    out["validate"] = time.perf_counter() - began
    began = time.perf_counter()
    results = compute_figures(spec, tables)
    out["compute"] = time.perf_counter() - began
    out["figures"] = {r.id: r.value for r in results}
    out["path"] = "slow" if raw["events"].places.lines is not None else "fast"
    return out


def warm_pandera() -> None:
    """Pandera loads its backends on first use: 0.25 s once per process, whatever the size. Loaded
    before the clock starts (the CPU column still counts it), the way a run loads it."""
    import pandas as pd

    from infopipe.data.validate import load_pandera

    pandera = load_pandera()
    pandera.DataFrameSchema({"x": pandera.Column(int)}).validate(pd.DataFrame({"x": [1]}))


def measure_floor(folder: Path) -> dict:
    import pyarrow.csv as pacsv

    began = time.perf_counter()
    table = pacsv.read_csv(folder / "raw" / "events.csv")
    return {"floor": time.perf_counter() - began, "rows": table.num_rows}


def measure_breakdown(folder: Path) -> dict:
    """Where validate and compute spend their time (each part timed on its own)."""
    from infopipe import compute
    from infopipe.data import validate
    from infopipe.data.ingest import read_raw_tables
    from infopipe.spec.model import load_spec

    warm_pandera()
    spec = load_spec(folder / "spec.yaml")
    raw = read_raw_tables(spec, folder / "raw")
    ds, table = spec.datasets["events"], raw["events"]
    out = {}

    def timed(name, fn, *args):
        began = time.perf_counter()
        result = fn(*args)
        out[name] = round(time.perf_counter() - began, 3)
        return result

    import dataclasses

    if table.typed_ahead is not None:
        table.typed_ahead.take()  # let ingest's own typing finish first, then drop it
    whole = dataclasses.replace(table, typed_ahead=None)  # time the typing itself, not the join
    frame, _, _ = timed("type all columns (2 threads; in a run most of it overlaps ingest)",
                        validate.parse_table, ds, whole)
    timed("ids: unique and near-duplicate", validate.check_ids, ds, frame)
    timed("pandera schema (required, allowed, min, future, date order)",
          lambda: validate.build_schema(ds, TODAY).validate(frame, lazy=True))
    typed = {"events": frame, "venues": validate.parse_table(spec.datasets["venues"], raw["venues"])[0]}
    timed("references", validate.check_references, spec, raw, typed)
    for fig in spec.figures:  # the same call compute_figures makes for each figure
        began = time.perf_counter()
        counted = compute.compute_figure(spec, fig, typed)[0].record_count
        out[f"compute {fig.id} ({counted:,} records): rule, claim, printed text, lineage records"] = round(
            time.perf_counter() - began, 3)
    return out


def run_fresh(mode: str, folder: Path) -> dict:
    """One measurement in a fresh process, with that process's peak resident memory."""
    child = [sys.executable, __file__, "--child", mode, str(folder)]
    done = subprocess.run([sys.executable, "-c", RUNNER, *child], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(HERE.parent / "src"))})
    lines = done.stdout.strip().splitlines()
    runner = json.loads(lines[-1])
    if runner["rc"] != 0:
        raise SystemExit(f"{mode} on {folder} failed:\n{done.stderr}")
    return {**json.loads(lines[-2]), "peak_mib": runner["peak_kib"] / 1024, "cpu": runner["cpu"]}


def best_of(repeat: int, folder: Path) -> tuple[dict, dict]:
    """The fastest of `repeat` fresh runs each of the floor and of infopipe, taken in turns so both
    meet the same load (the machine may be shared); each keeps its own run's memory and CPU time."""
    floors, ours = [], []
    for _ in range(repeat):
        floors.append(run_fresh("floor", folder))
        ours.append(run_fresh("infopipe", folder))
    for run in ours:
        run["total"] = run["ingest"] + run["validate"] + run["compute"]
    return min(floors, key=lambda r: r["floor"]), min(ours, key=lambda r: r["total"])


def warm(path: Path) -> None:
    """Write the new file out and read it once, so every measurement starts from the page cache."""
    os.sync()
    with open(path, "rb") as handle:
        while handle.read(1 << 24):
            pass


def machine() -> dict:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    from infopipe.data.ingest import machine_memory
    import numpy, pandas, pyarrow
    return {"cpus": len(os.sched_getaffinity(0)), "memory_gib": machine_memory() / 2**30, "cpu": model,
            "python": platform.python_version(), "pyarrow": pyarrow.__version__,
            "pandas": pandas.__version__, "numpy": numpy.__version__}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated, from " + ", ".join(SIZES))
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument("--breakdown", action="store_true", help="also time the parts, on the largest size")
    parser.add_argument("--repeat", type=int, default=3, help="fresh runs per measurement; the fastest is kept")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, folder = args.child
        fn = {"infopipe": measure_infopipe, "floor": measure_floor, "breakdown": measure_breakdown}[mode]
        print(json.dumps(fn(Path(folder))))
        return 0

    sys.path.insert(0, str(HERE))
    import scale_data

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size {unknown[0]!r}; use {', '.join(SIZES)}")
    rows, breakdown = [], None
    for name in sizes:
        folder = Path(tempfile.mkdtemp(prefix=f"infopipe-bench-{name}-"))
        try:
            began = time.perf_counter()
            scale_data.write_project(folder, SIZES[name])
            made = time.perf_counter() - began
            size = (folder / "raw" / "events.csv").stat().st_size
            warm(folder / "raw" / "events.csv")
            floor, ours = best_of(args.repeat, folder)
            row = {"size": name, "rows": SIZES[name], "mb": size / 1e6, "made": made, "repeat": args.repeat, **ours,
                   "floor": floor["floor"], "floor_peak_mib": floor["peak_mib"], "floor_cpu": floor["cpu"]}
            rows.append(row)
            print(format_row(row), flush=True)
            if args.breakdown and name == sizes[-1]:
                breakdown = run_fresh("breakdown", folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    text = report(rows, breakdown)
    print(text)
    if not args.no_write:
        write_results(HERE / "RESULTS.md", text)
    return 0


def format_row(r: dict) -> str:
    total = r["ingest"] + r["validate"] + r["compute"]
    return (f"| {r['size']} | {r['mb']:,.0f} | {r['ingest']:.2f} | {r['validate']:.2f} | {r['compute']:.2f} | "
            f"{total:.2f} | {r['cpu']:.1f} | {r['peak_mib']:,.0f} | {r['floor']:.2f} | {r['floor_cpu']:.1f} | "
            f"{r['floor_peak_mib']:,.0f} | {(r['ingest'] + r['validate']) / r['floor']:.1f}x | "
            f"{total / r['floor']:.1f}x |")


def report(rows: list[dict], breakdown: dict | None) -> str:
    m = machine()
    lines = [
        HEADING, "",
        f"Measured {dt.date.today()} by `benchmarks/bench_scale.py` on {m['cpus']} CPUs ({m['cpu']}), "
        f"{m['memory_gib']:.1f} GiB memory; Python {m['python']}, pyarrow {m['pyarrow']}, "
        f"pandas {m['pandas']}, numpy {m['numpy']}. Seconds of wall time, the fastest of {rows[0]['repeat']} "
        "fresh runs each (floor and infopipe in turns); CPU s = user+system seconds of that whole "
        "process, imports included; peak = its peak resident memory. Floor = `pyarrow.csv.read_csv` of the same file "
        "(type inference, all cores). Ratios: ingest+validate over the floor, and "
        "ingest+validate+compute over the floor.", "",
        "| rows | CSV MB | ingest s | validate s | compute s | total s | CPU s | peak MiB | floor s | floor CPU s "
        "| floor peak MiB | ingest+validate / floor | total / floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(format_row(r) for r in rows),
    ]
    lines += ["", *verdicts(rows)]
    if breakdown:
        lines += ["", f"Where the time goes at {rows[-1]['size']} rows (each part timed on its own):", "",
                  "| part | s |", "|---|---:|"]
        lines += [f"| {k} | {v:.2f} |" for k, v in breakdown.items() if k not in ("peak_mib", "cpu")]
    return "\n".join(lines) + "\n"


def verdicts(rows: list[dict]) -> list[str]:
    """The issue's targets, each with the measured number and whether it is met."""
    out = []
    big = [r for r in rows if r["rows"] >= 1_000_000]
    for r in rows:
        if r["rows"] == 10_000_000:
            total = r["ingest"] + r["validate"] + r["compute"]
            out.append(f"- 10M rows, ingest + validate + compute under 10 s: {total:.1f} s, "
                       f"{'met' if total < 10 else 'not met'}; under 4 GiB: {r['peak_mib']:,.0f} MiB, "
                       f"{'met' if r['peak_mib'] < 4096 else 'not met'}.")
    for r in big:
        ratio = (r["ingest"] + r["validate"]) / r["floor"]
        out.append(f"- {r['size']} rows, ingest + validate within 3x of the floor: {ratio:.1f}x, "
                   f"{'met' if ratio <= 3 else 'not met'} (with compute: "
                   f"{(r['ingest'] + r['validate'] + r['compute']) / r['floor']:.1f}x).")
    if len(big) == 2:
        a, b = big
        out.append(f"- Growth from 1M to 10M rows: {b['total'] / a['total']:.1f}x the time and "
                   f"{b['peak_mib'] / a['peak_mib']:.1f}x the peak memory for 10x the rows.")
    return out


def write_results(path: Path, section: str) -> None:
    """Replace the Big tables section of RESULTS.md (or add it); other sections stay as they are."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
