"""How infopipe's data path scales: a cold `infopipe run` of 10k to 100M rows, against the floor.

    .venv/bin/python benchmarks/bench_scale.py                    # 10k, 100k, 1M and 10M rows
    .venv/bin/python benchmarks/bench_scale.py --sizes 10M --repeat 3 --peers
    .venv/bin/python benchmarks/bench_scale.py --sizes 30M,100M --repeat 1
    .venv/bin/python benchmarks/bench_scale.py --sizes 10M,30M,100M --peers --design-floor   # RESULTS' table

For each size a seeded events table (ids, dates, categories, a reference to a venues table, money;
see scale_data.py) is written to a temp folder with its spec. Each measurement runs in a fresh
process, started by a small runner process that waits for it and reads its peak memory with
getrusage(RUSAGE_CHILDREN), so no size inherits another's memory. Measured: a cold `infopipe run`
(its validate and compute steps: the data path; a count_rows with a filter and a count_distinct);
a plain pyarrow.csv.read_csv of the same file told its types (the floor); with --peers, Polars
doing the same checks and counts; with --design-floor, infopipe's own streaming reader alone and
with its Parquet writer, checking nothing (what validate's design pays first). Results go to
benchmarks/RESULTS.md under "Big tables", with the machine they were measured on. --breakdown times
the parts of the whole-table path (small files)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS_UP_TO = 30_000_000  # typed Arrow and Polars hold the table: about 15 GB at 100M rows
REPEAT_UP_TO = 10_000_000  # bigger sizes run once (100M takes minutes per run)
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000, "30M": 30_000_000,
         "100M": 100_000_000}
DEFAULT_SIZES = "10k,100k,1M,10M"
TODAY = dt.date(2025, 6, 1)
HEADING = "## Big tables"
RUNNER = ("import json, resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
          "used = resource.getrusage(resource.RUSAGE_CHILDREN); "
          "print(json.dumps({'rc': done.returncode, 'peak_kib': used.ru_maxrss, "
          "'cpu': used.ru_utime + used.ru_stime}))")


def measure_infopipe(folder: Path) -> dict:
    """Runs in a fresh process: `infopipe run` of the table's project, cold, as an analyst runs it
    (validate reads the file, streaming a big one piece by piece into Parquet; compute runs the
    rules, in DuckDB over that file when it is big; then render and publish). Timed by the run's
    own step records; the run's outputs are removed afterwards, so every turn is cold."""
    from infopipe.cli import main

    root = project_root(folder)
    began = time.perf_counter()
    code = main(["--root", str(root), "run", "scale"])
    wall = time.perf_counter() - began
    if code != 0:
        raise SystemExit(f"infopipe run failed with exit code {code}")
    latest = (root / "outputs" / "scale" / "latest").resolve()
    steps = {s["step"]: s["seconds"] for s in json.loads((latest / "provenance.json").read_text())["steps"]}
    figures = json.loads((latest / "figures.json").read_text())["figures"]
    out = {"validate": steps["validate"], "compute": steps["compute"], "run": wall, "steps": steps,
           "figures": {f["id"]: f["value"] for f in figures}}
    shutil.rmtree(root / "outputs")
    shutil.rmtree(root / "data" / "processed", ignore_errors=True)
    return out


def project_root(folder: Path) -> Path:
    """A checkout's layout around the generated table: projects/scale/spec.yaml and data/raw/scale."""
    root = folder / "root"
    (root / "projects" / "scale").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder / "spec.yaml", root / "projects" / "scale" / "spec.yaml")
    (root / "data" / "raw").mkdir(parents=True, exist_ok=True)
    if not (root / "data" / "raw" / "scale").exists():
        (root / "data" / "raw" / "scale").symlink_to(folder / "raw")
    return root


def warm_pandera() -> None:
    """Pandera loads its backends on first use: 0.25 s once per process, whatever the size. Loaded
    before the clock starts (the CPU column still counts it), the way a run loads it."""
    import pandas as pd

    from infopipe.data.validate import load_pandera

    pandera = load_pandera()
    pandera.DataFrameSchema({"x": pandera.Column(int)}).validate(pd.DataFrame({"x": [1]}))


def measure_floor(folder: Path) -> dict:
    import peers

    return {"floor": peers.typed_arrow(folder)["seconds"]}


def measure_reading(folder: Path, write: bool = False) -> dict:
    """infopipe's streaming reader over the file as validate drives it (Arrow typing dates and
    booleans, pieces of PIECE_ROWS read ahead on a thread), with no typing of its own and no check;
    with `write`, each piece also appended to a Parquet file as validate appends its pieces. What
    validate's design pays before it checks anything."""
    import pyarrow as pa

    from infopipe.data import ingest, stream
    from infopipe.spec.model import load_spec

    ds = load_spec(folder / "spec.yaml").datasets["events"]
    path, out = folder / "raw" / ds.file, folder / "pieces.parquet"
    header = ingest.peek_header(path)
    native = {h: t for h in header if (t := ingest.native_types(ds).get(h.strip())) is not None}
    began, rows = time.perf_counter(), 0
    written = stream.PieceWriter(out) if write else None
    for batches in stream._ahead(stream.in_groups(ingest.open_reader(path, header, ds, native), stream.PIECE_ROWS)):
        piece = pa.Table.from_batches(batches)
        rows += piece.num_rows
        if written is not None:
            written.add(piece)
    if written is not None:
        written.close()
    seconds = time.perf_counter() - began
    out.unlink(missing_ok=True)
    return {"writing" if write else "reading": seconds, "rows": rows}


def measure_polars(folder: Path) -> dict:
    import peers

    done = peers.polars(folder, TODAY)
    return {"polars": done["seconds"], "polars_figures": done["figures"], "polars_failures": done["failures"]}


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
    from infopipe.spec.compile import compile_spec

    for fig in compile_spec(spec).figures:  # the same call compute_figures makes for each figure
        began = time.perf_counter()
        counted = compute.compute_figure(fig, typed, str(spec.path))[0].record_count
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


def in_turns(repeat: int, folder: Path, peers: bool, floor: bool = True, design: bool = False) -> dict:
    """`repeat` fresh runs each of the typed floor, infopipe, (with peers) Polars and (with design)
    infopipe's reader alone and with its writer, taken in turns so all meet the same load (the
    machine may be shared). Per tool: every run, fastest first."""
    runs: dict[str, list[dict]] = {**({"floor": []} if floor else {}), "infopipe": [],
                                   **({"polars": []} if peers else {}),
                                   **({"reading": [], "writing": []} if design else {})}
    for _ in range(repeat):
        for mode in runs:
            runs[mode].append(run_fresh(mode, folder))
    for run in runs["infopipe"]:
        run["total"] = run["validate"] + run["compute"]
    if peers:
        for ours, theirs in zip(runs["infopipe"], runs["polars"]):
            if ours["figures"] != theirs["polars_figures"] or theirs["polars_failures"]:
                raise SystemExit(f"Polars counted {theirs['polars_figures']} with {theirs['polars_failures']} "
                                 f"failures, infopipe {ours['figures']}: not the same work")
    key = {"floor": "floor", "infopipe": "total", "polars": "polars", "reading": "reading", "writing": "writing"}
    return {mode: sorted(found, key=lambda r: r[key[mode]]) for mode, found in runs.items()}


def min_median(runs: list[dict], key: str) -> tuple[float, float]:
    values = sorted(r[key] for r in runs)
    return values[0], statistics.median(values)


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
    try:
        import polars
        extra = {"polars": polars.__version__}
    except ImportError:
        extra = {}
    return {**extra, "cpus": len(os.sched_getaffinity(0)), "memory_gib": machine_memory() / 2**30, "cpu": model,
            "python": platform.python_version(), "pyarrow": pyarrow.__version__,
            "pandas": pandas.__version__, "numpy": numpy.__version__}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated, from " + ", ".join(SIZES))
    parser.add_argument("--write", action="store_true", help="write the table into RESULTS.md (the default)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument("--breakdown", action="store_true", help="also time the parts, on the largest size")
    parser.add_argument("--repeat", type=int, default=3, help="fresh runs per measurement, in turns; min and median kept")
    parser.add_argument("--peers", action="store_true", help="also Polars doing the same work (optional extra: polars)")
    parser.add_argument("--design-floor", action="store_true",
                        help="also infopipe's streaming reader alone, and with the Parquet writer, no checks")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, folder = args.child
        sys.path.insert(0, str(HERE))
        fn = {"infopipe": measure_infopipe, "floor": measure_floor, "polars": measure_polars,
              "reading": measure_reading, "writing": lambda f: measure_reading(f, write=True),
              "breakdown": measure_breakdown}[mode]
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
            scale_data.write_project(folder, SIZES[name], max_file_bytes=10**12)  # streamed: no limit
            made = time.perf_counter() - began
            size = (folder / "raw" / "events.csv").stat().st_size
            warm(folder / "raw" / "events.csv")
            small = SIZES[name] <= PEERS_UP_TO  # the peers hold the whole table in memory
            repeat = args.repeat if SIZES[name] <= REPEAT_UP_TO else 1
            runs = in_turns(repeat, folder, args.peers and small, floor=small, design=args.design_floor and small)
            ours = runs["infopipe"]
            row = {"size": name, "rows": SIZES[name], "mb": size / 1e6, "made": made, "repeat": repeat,
                   **ours[0], "total_median": min_median(ours, "total")[1], "load": os.getloadavg()[0]}
            if small:
                floor = runs["floor"]
                row.update(floor=floor[0]["floor"], floor_median=min_median(floor, "floor")[1],
                           floor_peak_mib=floor[0]["peak_mib"], floor_cpu=floor[0]["cpu"])
            if "polars" in runs:
                theirs = runs["polars"]
                row.update(polars=theirs[0]["polars"], polars_median=min_median(theirs, "polars")[1],
                           polars_peak_mib=theirs[0]["peak_mib"], polars_cpu=theirs[0]["cpu"])
            for part in ("reading", "writing"):
                if part in runs:
                    row.update({part: runs[part][0][part], part + "_median": min_median(runs[part], part)[1],
                                part + "_cpu": runs[part][0]["cpu"]})
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
    """One size: infopipe's parts (its fastest run), then min / median of each tool and their ratios."""
    floor = (f"{r['floor']:.2f} / {r['floor_median']:.2f} | {r['floor_cpu']:.1f} | {r['floor_peak_mib']:,.0f} | "
             f"{r['total'] / r['floor']:.2f}x / {r['total_median'] / r['floor_median']:.2f}x |"
             if "floor" in r else "not run | | | |")
    polars = (f"{r['polars']:.2f} / {r['polars_median']:.2f} | {r['polars_cpu']:.1f} | {r['polars_peak_mib']:,.0f} | "
              f"{r['total'] / r['polars']:.2f}x / {r['total_median'] / r['polars_median']:.2f}x |"
              if "polars" in r else " | | | |")
    return (f"| {r['size']} | {r['mb']:,.0f} | {r['validate']:.2f} | {r['compute']:.2f} | {r['run']:.2f} | "
            f"{r['total']:.2f} / {r['total_median']:.2f} | {r['cpu']:.1f} | {r['peak_mib']:,.0f} | "
            f"{floor} {polars} "
            f"{r['load']:.1f} |")


def report(rows: list[dict], breakdown: dict | None) -> str:
    m = machine()
    lines = [
        HEADING, "",
        f"Measured {dt.date.today()} by `benchmarks/bench_scale.py{' --peers' if 'polars' in rows[0] else ''}"
        f"{' --design-floor' if 'writing' in rows[0] else ''}` "
        f"on {m['cpus']} CPUs ({m['cpu']}), {m['memory_gib']:.1f} GiB memory; Python {m['python']}, "
        f"pyarrow {m['pyarrow']}, pandas {m['pandas']}, numpy {m['numpy']}"
        + (f", polars {m['polars']}" if m.get("polars") else "") + ". "
        f"Each tool ran {rows[0]['repeat']} time{'s' if rows[0]['repeat'] != 1 else ''} in fresh processes, in turns (typed Arrow, infopipe, Polars, "
        f"then again), so all met the same load (sizes above {REPEAT_UP_TO:,} rows once; above "
        f"{PEERS_UP_TO:,} rows typed Arrow and Polars are not run: they hold the whole table, about 15 GB at "
        "100M rows); seconds of wall time as min / median. infopipe's parts "
        "are those of its fastest run. CPU s = user+system seconds of the fastest run's whole process, "
        "imports included; peak = its peak resident memory. Typed Arrow = `pyarrow.csv.read_csv` of the "
        "same file told the column types (benchmarks/peers.py: money as text, Arrow has no money type), "
        "all cores, nothing checked. Polars = the same typed read, the same checks and the same counts "
        "with their record ids (benchmarks/peers.py). infopipe = a cold `infopipe run` of the table's "
        "project in a fresh process: validate (reading the file; a file of 256 MiB or more is streamed "
        "piece by piece into its Parquet file), compute (rules in DuckDB over that file from 1M rows), "
        "render and publish (which keeps a copy of the input). validate and compute are the run's own "
        "step times; run s is the whole command. Total = validate + compute, the data path; ratios: "
        "total over each peer, min over min / median over median. CPU s and peak are the whole run's. "
        "Load = the 1-minute load average after the size.", "",
        "| rows | CSV MB | validate s | compute s | run s | total s | CPU s | peak MiB | typed Arrow s "
        "| Arrow CPU s | Arrow peak MiB | total / typed Arrow | Polars s | Polars CPU s | Polars peak MiB "
        "| total / Polars | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(format_row(r) for r in rows),
    ]
    lines += ["", *verdicts(rows)]
    if breakdown:
        lines += ["", f"Where the time goes at {rows[-1]['size']} rows (each part timed on its own):", "",
                  "| part | s |", "|---|---:|"]
        lines += [f"| {k} | {v:.2f} |" for k, v in breakdown.items() if k not in ("peak_mib", "cpu")]
    return "\n".join(lines) + "\n"


def verdicts(rows: list[dict]) -> list[str]:
    """The issue's targets, each with the measured numbers and whether they are met."""
    out = []
    per_row = {r["rows"]: (r["total"] / r["rows"], r["total_median"] / r["rows"]) for r in rows}
    for r in rows:
        if r["rows"] < 10_000_000:
            continue
        if "floor" in r:
            low, mid = r["total"] / r["floor"], r["total_median"] / r["floor_median"]
            out.append(f"- {r['size']} rows, validate + compute within 2x of typed Arrow: {low:.2f}x (min) / "
                       f"{mid:.2f}x (median), {'met' if mid <= 2 else 'not met'}.")
        if "polars" in r:
            low, mid = r["total"] / r["polars"], r["total_median"] / r["polars_median"]
            out.append(f"- {r['size']} rows, faster than Polars doing the same work: {low:.2f}x (min) / {mid:.2f}x "
                       f"(median) its time, {'met' if mid < 1 else 'not met'}.")
        line = (f"- {r['size']} rows, peak memory of the whole run {r['peak_mib']:,.0f} MiB "
                f"({r['peak_mib'] * 2**20 / (r['mb'] * 1e6):.2f}x the CSV's bytes)")
        if r["rows"] == 30_000_000:
            line += f", under 4 GiB: {'met' if r['peak_mib'] < 4096 else 'not met'}"
        line += f"; validate + compute per million rows {r['total'] / r['rows'] * 1e6:.3f} s"
        if r["rows"] > 10_000_000 and 10_000_000 in per_row:
            # a bigger size may run once: against 10M's min (its best run) and its median (a typical one)
            low, mid = (per_row[r["rows"]][i] / per_row[10_000_000][i] for i in (0, 1))
            met = "met" if max(low, mid) <= 1.2 else "not met" if min(low, mid) > 1.2 else "met by the median, not by the min"
            line += f", {low:.2f}x that at 10M by min / {mid:.2f}x by median" + (
                f" (within 1.2x: {met})" if r["rows"] == 100_000_000 else "")
        out.append(line + ".")
        if "writing" in r and "floor" in r:
            out += design_floor(r)
    return out


def design_floor(r: dict) -> list[str]:
    """What validate's design costs before any check (--design-floor), against typed Arrow: what
    that leaves, within 2x, for typing, checks and compute."""
    def part(name):
        return (f"{r[name]:.2f} / {r[name + '_median']:.2f} s ({r[name + '_median'] / r['floor_median']:.2f}x typed "
                f"Arrow by median; {r[name + '_cpu']:.1f} s of CPU)")

    left = 2 * r["floor_median"] - r["writing_median"]
    return [f"- {r['size']} rows, before any check: infopipe's streaming reader alone {part('reading')}; the reader "
            f"with the Parquet writer {part('writing')}. Within 2x of typed Arrow, that leaves {left:.2f} s for "
            f"typing, checks and compute, which take {r['total_median'] - r['writing_median']:.2f} s beyond it."]


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
