"""What other tools take for infopipe's data path on the benchmark table: the floors bench_scale.py
compares infopipe with, each run in a fresh process of its own.

- `typed_arrow`: pyarrow.csv.read_csv of the same file with the column types given (the spec's types
  as Arrow has them; Arrow has no money type, so money is read as text), all cores. Nothing checked,
  nothing counted: the least any reader of this file can do.
- `polars`: Polars doing the same work as infopipe: the same typed read, every check infopipe makes
  on this spec (cell types by the same patterns, required cells, allowed values, min, no future
  dates, date order, unique ids also ignoring case and spaces, references) and the same counts with
  the ids of the counted records. Every check is one expression, all run in one `select` so Polars
  runs them on all cores. It counts failures and does not word them (infopipe words only failures,
  and the benchmark file has none); it does not hash the file (infopipe does): both favour Polars.
  Polars is an optional extra: `pip install -c constraints.txt polars`.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

TEXTUAL = ("id", "text", "source", "money")  # read as text by both peers


def _spec(folder: Path):
    from infopipe.spec.model import load_spec

    return load_spec(folder / "spec.yaml")


def typed_arrow(folder: Path) -> dict:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    arrow = {"integer": pa.int64(), "number": pa.float64(), "date": pa.date32(), "boolean": pa.bool_()}
    ds = _spec(folder).datasets["events"]
    types = {c.name: arrow.get(c.type, pa.string()) for c in ds.columns.values()}
    began = time.perf_counter()
    table = pacsv.read_csv(folder / "raw" / ds.file, convert_options=pacsv.ConvertOptions(
        column_types=types, true_values=["yes", "true", "1"], false_values=["no", "false", "0"]))
    return {"seconds": time.perf_counter() - began, "rows": table.num_rows}


def polars(folder: Path, today: dt.date) -> dict:
    import polars as pl

    from infopipe.concepts.columns import _RE2
    from infopipe.spec.compile import compile_spec

    spec = _spec(folder)
    read_as = {"integer": pl.Int64, "number": pl.Float64, "date": pl.Date}
    began = time.perf_counter()
    frames = {name: pl.read_csv(folder / "raw" / ds.file, infer_schema=False, schema={
        c.name: read_as.get(c.type, pl.String) for c in ds.columns.values()}, empty_string_is_null=False)
        for name, ds in spec.datasets.items()}
    failures, typed = {}, {}
    for name, ds in spec.datasets.items():
        checks = []
        for col in ds.columns.values():
            cell = pl.col(col.name)
            if col.type in TEXTUAL or col.type == "boolean":
                present = cell != ""
                if col.type == "id":
                    bad = ~cell.str.contains(_RE2["id"])
                elif col.type == "money":
                    bad = ~cell.str.strip_chars().str.contains(_RE2["money"])
                elif col.type == "boolean":
                    bad = ~cell.str.strip_chars().str.to_lowercase().is_in(["yes", "true", "1", "no", "false", "0"])
                else:
                    bad = cell.str.contains(_RE2["formula"]) | cell.str.contains(_RE2["control"])
                    if col.type == "source":
                        bad = bad | ~cell.str.contains(_RE2["source"])
                checks.append((present & bad).alias(f"{col.name}:type"))
                value = _typed(pl, col, cell)
            else:
                value = cell
            typed[(name, col.name)] = value
            if not col.nullable:
                checks.append(value.is_null().alias(f"{col.name}:required"))
            if col.allowed:
                checks.append((value.is_not_null() & ~value.is_in(list(col.allowed))).alias(f"{col.name}:allowed"))
            if col.min is not None:
                checks.append((value < col.min).fill_null(False).alias(f"{col.name}:min"))
            if col.type == "date":
                checks.append((value > today).fill_null(False).alias(f"{col.name}:future"))
            if col.not_before:
                checks.append((value < pl.col(col.not_before)).fill_null(False).alias(f"{col.name}:order"))
            if col.references:
                target, target_col = col.references
                known = frames[target][target_col]
                checks.append((value.is_not_null() & ~value.is_in(known.implode())).alias(f"{col.name}:reference"))
        if ds.primary_key:
            key = pl.col(ds.primary_key)
            folded = key.str.to_lowercase().str.replace_all(r"\s+", "")
            checks += [key.is_duplicated().alias("id:unique"), folded.is_duplicated().alias("id:near")]
        failures[name] = frames[name].select([c.sum() for c in checks]).row(0, named=True)
    counts = {}
    events = frames["events"].with_columns([v.alias(c) for (n, c), v in typed.items() if n == "events"])
    for fig in compile_spec(spec).figures:
        rule, keep = fig.rule, pl.lit(True)
        for flt in rule.where:
            assert flt.op == "equals", "the benchmark spec filters by equals only"
            keep = keep & (pl.col(flt.column) == flt.value)
        chosen = events.filter(keep)
        if rule.type == "count_distinct":
            chosen = chosen.filter(pl.col(rule.column).is_not_null()).unique(
                subset=[rule.column], keep="first", maintain_order=True)
        ids = chosen[rule.primary_key]  # the counted records, kept as a column (as infopipe keeps them)
        counts[fig.id] = len(ids)
    return {"seconds": time.perf_counter() - began, "rows": frames["events"].height, "figures": counts,
            "failures": sum(v for f in failures.values() for v in f.values())}


def _typed(pl, col, cell):
    """A text cell as its type's value (null where empty), as infopipe types it."""
    if col.type == "money":
        digits = cell.str.strip_chars().str.replace_all("[£,]", "")
        return pl.when(cell != "").then(digits.cast(pl.Float64, strict=False))
    if col.type == "boolean":
        word = cell.str.strip_chars().str.to_lowercase()
        return word.replace_strict({"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False},
                                   default=None, return_dtype=pl.Boolean)
    return pl.when(cell != "").then(cell)
