"""Rules computed in PostgreSQL against the same rules computed in pandas, on one table of 1M rows.

    .venv/bin/python benchmarks/bench_pushdown.py                   # 1M rows, compute 3 turns, 1 whole run each
    .venv/bin/python benchmarks/bench_pushdown.py --rows 100k --repeat 1 --runs 0 --no-write

A throwaway PostgreSQL cluster (tests/postgres.py) gets the seeded events table of scale_data.py
(native date and integer columns; money and yes/no as text cells) and its venues. The spec reads both
from the database and has eleven figures over the shipped rule types, two of which stay in pandas
(median, a sum of money). Measured side by side, in turns (pushdown first in odd turns, last in
even ones), in this one process: compute of all figures with pushdown (INFOPIPE_PUSHDOWN on) and
without (off), over the same rows read and validated once; per figure too; then, with --runs, whole
`infopipe run`s in fresh project folders (read, validate, compute, render, publish). The figures must
be equal both ways. Results go to benchmarks/RESULTS.md under "Rules in the database".
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests"), str(HERE.parent / "src")]

from bench_scale import SIZES, machine  # noqa: E402
from scale_data import CATEGORIES, write_project  # noqa: E402

HEADING = "## Rules in the database"
ENV = "INFOPIPE_BENCH_PUSHDOWN_DB"
TODAY = dt.date(2025, 6, 1)

SPEC = f"""\
project: pushdown
title: Events in a database
datasets:
  venues:
    database: {{connection: {ENV}, table: venues}}
    primary_key: venue_id
    columns:
      venue_id: {{type: id}}
      name: {{type: text}}
      city: {{type: text}}
  events:
    database: {{connection: {ENV}, table: events}}
    primary_key: event_id
    columns:
      event_id: {{type: id}}
      category: {{type: text, allowed: [{", ".join(CATEGORIES)}]}}
      venue_id: {{type: id, references: venues.venue_id}}
      start_date: {{type: date}}
      end_date: {{type: date, nullable: true, not_before: start_date}}
      attendees: {{type: integer, min: 0}}
      ticket_income_gbp: {{type: money, min: 0}}
      online: {{type: boolean}}
figures:
"""
FIGURES = {  # id: rule
    "workshops": "{type: count_rows, dataset: events, where: [{column: category, equals: workshop}]}",
    "venues_used": "{type: count_distinct, dataset: events, column: venue_id}",
    "online_attendees": "{type: sum, dataset: events, column: attendees, where: [{column: online, equals: true}]}",
    "mean_attendees": "{type: mean, dataset: events, column: attendees}",
    "first_and_last": "{type: date_range, dataset: events, column: start_date}",
    "latest_end": "{type: max, dataset: events, column: end_date}",
    "online_share": "{type: share, dataset: events, part: [{column: online, equals: true}]}",
    "big_in_2019": "{type: count_rows, dataset: events, where: [{column: attendees, gte: 400}, "
                   "{column: start_date, between: [2019-01-01, 2019-12-31]}]}",
    "in_city_3": "{type: count_rows, dataset: events, via: {column: venue_id, where: [{column: city, equals: City 3}]}}",
    "median_attendees": "{type: median, dataset: events, column: attendees}",
    "ticket_income": "{type: sum, dataset: events, column: ticket_income_gbp}",
}

DATES = {"first_and_last": "2016–2021", "latest_end": "2 May 2020"}


def write_spec(path: Path) -> None:
    text = SPEC + "".join(f"  - id: {name}\n    label: {name.replace('_', ' ')}\n    explanation: benchmark\n"
                          f"    published: \"{DATES.get(name, '0')}\"\n    accepted_difference: benchmark data\n"
                          f"    rule: {rule}\n" for name, rule in FIGURES.items())
    path.write_text(text, encoding="utf-8")


def load(cluster, folder: Path, rows: int) -> str:
    """The seeded tables into a new database; its address."""
    import psycopg

    from postgres import HOST

    write_project(folder, rows)
    cluster.create_database("bench")
    address = f"postgresql://{cluster.user}@{HOST}:{cluster.port}/bench"
    with psycopg.connect(address, autocommit=True) as con:
        con.execute("CREATE TABLE venues (venue_id text PRIMARY KEY, name text, city text, source text)")
        con.execute("CREATE TABLE events (event_id text PRIMARY KEY, title text, category text, venue_id text, "
                    "start_date date, end_date date, attendees integer, ticket_income_gbp text, online text, "
                    "source text)")
        for table in ("venues", "events"):
            with con.cursor() as cur, cur.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, \
                    open(folder / "raw" / f"{table}.csv", "rb") as source:
                while block := source.read(1 << 20):
                    copy.write(block)
        con.execute("ANALYZE")
    return address


def timed(fn):
    began = time.perf_counter()
    out = fn()
    return time.perf_counter() - began, out


def pushdown(on: bool) -> None:
    os.environ["INFOPIPE_PUSHDOWN"] = "on" if on else "off"


def compare_compute(spec, repeat: int) -> tuple[dict, dict]:
    """Seconds per figure and in all, pushdown on and off, in turns; where each figure was computed."""
    from infopipe.compute import compute_figure
    from infopipe.data.ingest import read_raw_tables
    from infopipe.data.validate import validate_tables
    from infopipe.spec.compile import compile_spec

    read, tables = timed(lambda: validate_tables(spec, read_raw_tables(spec, Path("/nonexistent")), TODAY))
    frames = {n: t.frame for n, t in tables.items()}
    figures = compile_spec(spec).figures
    times = {True: {f.id: [] for f in figures}, False: {f.id: [] for f in figures}}
    values, where = {True: {}, False: {}}, {}
    for turn in range(repeat):
        for on in ((True, False) if turn % 2 == 0 else (False, True)):
            pushdown(on)
            for fig in figures:
                seconds, (result, *_) = timed(lambda: compute_figure(fig, frames, str(spec.path), spec.datasets))
                times[on][fig.id].append(seconds)
                values[on][fig.id] = (result.value, list(result.record_ids))
                if on:
                    where[fig.id] = result.computed
    assert values[True] == values[False], "the figures differ with and without pushdown"
    return {"read and validate (once, the same either way)": read, "times": times}, where


def compare_runs(folder: Path, runs: int) -> dict[bool, list[float]]:
    from infopipe.run.pipeline import Paths, run

    out = {True: [], False: []}
    for turn in range(runs):
        for on in ((True, False) if turn % 2 == 0 else (False, True)):
            root = folder / f"root-{turn}-{on}"
            (root / "projects" / "pushdown").mkdir(parents=True)
            (root / "data" / "raw" / "pushdown").mkdir(parents=True)
            write_spec(root / "projects" / "pushdown" / "spec.yaml")
            pushdown(on)
            seconds, _ = timed(lambda: run(Paths.for_project("pushdown", root), today=TODAY))
            out[on].append(seconds)
            shutil.rmtree(root)
    return out


def section(rows: int, repeat: int, measured: dict, where: dict, runs: dict, command: str) -> str:
    times = measured["times"]
    best = {on: {k: min(v) for k, v in times[on].items()} for on in (True, False)}
    total = {on: [sum(t[k][i] for k in t) for i in range(repeat)] for on, t in times.items()}
    info = machine()
    lines = [HEADING, "",
             f"`{command}` — {rows:,} rows in PostgreSQL ({where['workshops'].get('engine')}), {info['cpus']} CPUs "
             f"({info['cpu']}), load average {os.getloadavg()[0]:.1f} at the end (the machine is shared: only "
             "ratios measured side by side mean anything). Pushdown on and off in turns in one process, "
             f"over the same rows read and validated once "
             f"({measured['read and validate (once, the same either way)']:.2f} s, the same either way); "
             f"min of {repeat}. Values and record ids are equal both ways (checked).", "",
             "| figure | computed in (pushdown on) | pushdown on, s | pandas, s | on / off |",
             "|---|---|---:|---:|---:|"]
    for k in best[True]:
        engine = where[k]["engine"] + (f" ({where[k]['why']})" if "why" in where[k] else "")
        lines.append(f"| {k} | {engine} | {best[True][k]:.3f} | {best[False][k]:.3f} | "
                     f"{best[True][k] / best[False][k]:.2f}x |")
    lines.append(f"| **all figures** (min / median) | | {min(total[True]):.2f} / {statistics.median(total[True]):.2f} | "
                 f"{min(total[False]):.2f} / {statistics.median(total[False]):.2f} | "
                 f"{min(total[True]) / min(total[False]):.2f}x |")
    if runs[True]:
        lines += ["", f"Whole `infopipe run` (read, validate, compute, render, publish; fresh folder each, "
                  f"{len(runs[True])} each in turns): pushdown on {min(runs[True]):.2f} s, off "
                  f"{min(runs[False]):.2f} s ({min(runs[True]) / min(runs[False]):.2f}x)."]
    return "\n".join(lines) + "\n"


def write_results(path: Path, text: str) -> None:
    """Replace this benchmark's section of RESULTS.md (or add it); other sections stay as they are."""
    old = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    new = pattern.sub(lambda _: text + "\n", old) if pattern.search(old) else old.rstrip("\n") + "\n\n" + text
    path.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    from infopipe.spec.model import load_spec
    from postgres import remove_cluster, start_cluster

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="1M", help="one of " + ", ".join(SIZES))
    parser.add_argument("--repeat", type=int, default=3, help="turns of compute, each mode once per turn")
    parser.add_argument("--runs", type=int, default=1, help="whole runs per mode, in turns (0: none)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args(argv)
    rows = SIZES[args.rows]
    folder = Path(tempfile.mkdtemp(prefix="infopipe-pushdown-"))
    cluster = start_cluster()
    try:
        os.environ[ENV] = load(cluster, folder, rows)
        write_spec(folder / "spec.yaml")
        measured, where = compare_compute(load_spec(folder / "spec.yaml"), args.repeat)
        runs = compare_runs(folder, args.runs)
    finally:
        remove_cluster(cluster)
        shutil.rmtree(folder, ignore_errors=True)
    command = "benchmarks/bench_pushdown.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = section(rows, args.repeat, measured, where, runs, command.strip())
    print(text)
    if not args.no_write:
        write_results(HERE / "RESULTS.md", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
