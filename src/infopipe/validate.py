"""Turn raw text cells into typed, checked tables, reporting every failure of every dataset at once.

Two stages, so each message says exactly what is wrong:
1. parse: each cell is read as its declared type (a bad number or date is named with its value);
2. Pandera: the typed tables are checked lazily against schemas built from the spec (dtypes, nulls,
   unique ids, allowed values, ranges, date order, no future dates); then references between tables.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from .errors import InfopipeError, Problem
from .ingest import RawTable, sha256_file
from .spec import ColumnSpec, DatasetSpec, Spec

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$")
INTEGER = re.compile(r"^-?\d+$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
# Accepted money forms: 1000000, 1000000.50, £1,000,000, 1,000,000.00 (UK style only).
MONEY = re.compile(r"^(-)?£?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FORMULA = re.compile(r"^(?:[=@\t\r]|[+-][^\d\s.])")
BOOLEAN = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}
DTYPES = {"id": "str", "text": "str", "source": "str", "integer": "Int64", "number": "Float64",
          "money": "Float64", "date": "datetime64[ns]", "boolean": "boolean"}


@dataclass(frozen=True)
class ValidTable:
    """A dataset that passed every check: typed values plus the raw file it came from."""

    spec: DatasetSpec
    frame: pd.DataFrame
    raw: RawTable

    def record_ids(self, mask: pd.Series | None = None) -> list[str]:
        ids = self.frame[self.spec.primary_key]
        return sorted(ids[mask] if mask is not None else ids)


def validate_tables(spec: Spec, raw: dict[str, RawTable], today: dt.date | None = None) -> dict[str, ValidTable]:
    """Parse and check every dataset; raise one InfopipeError with all problems of all datasets."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    problems: list[Problem] = []
    typed: dict[str, pd.DataFrame] = {}
    for name, table in raw.items():
        ds = spec.datasets[name]
        frame, parse_problems = parse_table(ds, table)
        problems += parse_problems
        failed_cells = {(p.row, p.column) for p in parse_problems}
        problems += [p for p in check_schema(ds, table, frame, today) if (p.row, p.column) not in failed_cells]
        typed[name] = frame
    problems += check_references(spec, raw, typed)
    if problems:
        raise InfopipeError("validate", problems)
    return {name: ValidTable(spec.datasets[name], typed[name], raw[name]) for name in raw}


def parse_table(ds: DatasetSpec, table: RawTable) -> tuple[pd.DataFrame, list[Problem]]:
    problems: list[Problem] = []
    columns = {}
    for col in ds.columns.values():
        values = []
        for i, text in enumerate(table.cells[col.name]):
            try:
                values.append(parse_cell(text, col))
            except ValueError as err:
                values.append(None)
                problems.append(Problem(table.name, f"type:{col.type}", str(err), row=i + 1,
                                        line=table.lines[i], column=col.name, value=text))
        columns[col.name] = pd.Series(values, dtype=DTYPES[col.type] if col.type != "date" else None)
        if col.type == "date":
            columns[col.name] = pd.to_datetime(columns[col.name]).astype("datetime64[ns]")
    return pd.DataFrame(columns), problems


def parse_cell(text: str, col: ColumnSpec):
    """One cell as its declared type; None for an empty cell; ValueError says what is wrong."""
    if text == "":
        return None
    kind = col.type
    if kind == "id":
        if text != text.strip():
            raise ValueError("an id must not start or end with spaces")
        if not ID.match(text):
            raise ValueError("an id is letters, digits and _ . : / - only")
        return text
    if kind in ("text", "source"):
        if FORMULA.match(text):
            raise ValueError("looks like a spreadsheet formula; write the plain text (a formula "
                             "could run when the data is opened in a spreadsheet)")
        if kind == "source" and not re.match(r"^(https?://\S+|reconstructed:\s*\S)", text):
            raise ValueError("a source is the public URL of the fact, or 'reconstructed:' and the "
                             "published total it reproduces")
        return text
    if kind == "integer":
        if not INTEGER.match(text.strip()):
            raise ValueError("not a whole number")
        return int(text)
    if kind == "number":
        if not NUMBER.match(text.strip()):
            raise ValueError("not a number (use digits and a decimal point)")
        return float(text)
    if kind == "money":
        match = MONEY.match(text.strip())
        if not match:
            raise ValueError("not an amount of money: write digits, optionally with '£', comma "
                             "thousands separators and pence, like 1000000 or £1,000,000.00")
        sign, whole, pence = match.groups()
        return float(f"{sign or ''}{whole.replace(',', '')}{pence or ''}")
    if kind == "date":
        if not DATE.match(text.strip()):
            raise ValueError("a date is written YYYY-MM-DD")
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            raise ValueError("no such date in the calendar") from None
    if kind == "boolean":
        if text.strip().lower() not in BOOLEAN:
            raise ValueError("write yes or no")
        return BOOLEAN[text.strip().lower()]
    raise ValueError(f"unknown column type {kind}")


def build_schema(ds: DatasetSpec, today: dt.date) -> pa.DataFrameSchema:
    """The Pandera schema for one dataset, built from its spec."""
    columns = {}
    frame_checks = []
    for col in ds.columns.values():
        checks = []
        if col.allowed:
            checks.append(pa.Check.isin(list(col.allowed), error=f"allowed: must be one of: {', '.join(map(str, col.allowed))}"))
        if col.min is not None:
            checks.append(pa.Check.ge(col.min, error=f"min: must be at least {col.min}"))
        if col.max is not None:
            checks.append(pa.Check.le(col.max, error=f"max: must be at most {col.max}"))
        if col.type == "date":
            checks.append(pa.Check.le(pd.Timestamp(today), error=f"future-date: is in the future (after {today})"))
        if col.name == ds.primary_key:
            checks.append(pa.Check(_no_near_duplicates, error="near-duplicate-id: differs from another id only by case or spaces"))
        if col.not_before:
            frame_checks.append(pa.Check(_not_before(col.name, col.not_before),
                                         error=f"date-order: {col.name} is before {col.not_before}"))
        columns[col.name] = pa.Column(DTYPES[col.type], checks=checks, nullable=col.nullable,
                                      unique=col.name == ds.primary_key)
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=True, ordered=False)


def _no_near_duplicates(ids: pd.Series) -> pd.Series:
    folded = ids.str.casefold().str.replace(r"\s+", "", regex=True)
    return ~(folded.duplicated(keep=False) & ~ids.duplicated(keep=False))


def _not_before(later: str, earlier: str):
    def check(frame: pd.DataFrame) -> pd.Series:
        return frame[later].isna() | frame[earlier].isna() | (frame[later] >= frame[earlier])
    return check


def check_schema(ds: DatasetSpec, table: RawTable, frame: pd.DataFrame, today: dt.date) -> list[Problem]:
    try:
        build_schema(ds, today).validate(frame, lazy=True)
    except SchemaErrors as err:
        return _problems_from_pandera(err.failure_cases, ds, table)
    return []


def _problems_from_pandera(cases: pd.DataFrame, ds: DatasetSpec, table: RawTable) -> list[Problem]:
    builtin = {
        "not_nullable": ("required", "must be filled in"),
        "field_uniqueness": ("duplicate-id", f"the same {ds.primary_key} is used on another row"),
    }
    problems = {}
    for case in cases.itertuples(index=False):
        row = int(case.index) + 1 if pd.notna(case.index) else None
        column = case.column if isinstance(case.column, str) else None
        check, _, message = str(case.check).partition(": ")
        if check == "date-order":
            column = message.split(" ")[0]
        check, message = builtin.get(check, (check, message or check))
        value = None if pd.isna(case.failure_case) else str(case.failure_case)
        if column in table.cells and row is not None:
            value = table.cells[column].iloc[row - 1]
        line = table.lines[row - 1] if row else None
        problem = Problem(table.name, check, message, row=row, line=line, column=column, value=value)
        problems[(row, column, check)] = problem
    return sorted(problems.values(), key=lambda p: (p.row or 0, p.column or ""))


def check_references(spec: Spec, raw: dict[str, RawTable], typed: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every reference names a record that exists (a funding row names a known funder)."""
    problems = []
    for name, frame in typed.items():
        for col in spec.datasets[name].columns.values():
            if not col.references or col.references[0] not in typed:
                continue
            target, target_col = col.references
            known = set(typed[target][target_col].dropna())
            for i, value in enumerate(frame[col.name]):
                if pd.notna(value) and value not in known:
                    problems.append(Problem(raw[name].name, "reference", f"no {target_col} "
                                    f"'{value}' in {raw[target].name}", row=i + 1,
                                    line=raw[name].lines[i], column=col.name, value=str(value)))
    return problems


def write_processed(tables: dict[str, ValidTable], folder: Path) -> list[dict]:
    """Write each validated table as Parquet, named by its raw file's hash; return what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in sorted(tables.items()):
        path = folder / f"{name}-{table.raw.sha256[:12]}.parquet"
        if not path.exists():
            tmp = path.with_suffix(".parquet.tmp")
            table.frame.to_parquet(tmp, index=False)
            tmp.replace(path)
        written.append({"dataset": name, "path": str(path), "sha256": sha256_file(path),
                        "bytes": path.stat().st_size, "rows": len(table.frame)})
    return written


def validation_summary(tables: dict[str, ValidTable]) -> list[dict]:
    """Per dataset, what was checked and that it passed (failed runs log their problems instead)."""
    return [{"dataset": name, "file": t.raw.name, "rows": len(t.frame), "status": "passed",
             "primary_key": t.spec.primary_key, "checks": describe_checks(t.spec)}
            for name, t in sorted(tables.items())]


def describe_checks(ds: DatasetSpec) -> list[str]:
    """The checks a dataset passed, in words, for the provenance record and the review page."""
    out = []
    for col in ds.columns.values():
        parts = [col.type, "optional" if col.nullable else "required"]
        if col.name == ds.primary_key:
            parts.append("unique, also ignoring case and spaces")
        if col.allowed:
            parts.append("one of " + "/".join(map(str, col.allowed)))
        if col.min is not None:
            parts.append(f">= {col.min}")
        if col.max is not None:
            parts.append(f"<= {col.max}")
        if col.type == "date":
            parts.append("not in the future")
        if col.not_before:
            parts.append(f"not before {col.not_before}")
        if col.references:
            parts.append(f"names a {'.'.join(col.references)}")
        out.append(f"{col.name}: {', '.join(parts)}")
    return out


def write_table(table: ValidTable, path: Path) -> None:
    """One validated table as Parquet, written whole or not at all (a temp file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    table.frame.to_parquet(tmp, index=False)
    tmp.replace(path)
