"""Read raw CSV files exactly as written: every cell as text, with its line number and the file's hash.

Typing and checking belong to validate; ingest only refuses what cannot be read as a table at all
(wrong encoding, broken quoting, ragged rows, a header that does not match the spec). It never
writes to the raw folder.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import InfopipeError, Problem
from .spec import DatasetSpec, Spec


@dataclass(frozen=True)
class RawTable:
    """One raw file as read: text cells, the file line of each row, and what identifies the file."""

    dataset: str
    path: Path
    name: str  # path relative to the raw folder, as shown in messages and provenance
    sha256: str
    bytes: int
    cells: pd.DataFrame  # all columns as text, index 0..n-1
    lines: tuple[int, ...]  # file line on which each row starts

    @property
    def rows(self) -> int:
        return len(self.cells)

    def file_info(self) -> dict:
        return {"dataset": self.dataset, "path": self.name, "file": self.path.name,
                "sha256": self.sha256, "bytes": self.bytes, "rows": self.rows}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_inside(folder: Path, relative: str, shown: str) -> Path:
    """The real path of folder/relative, refused if it (or a symlink on the way) leaves folder."""
    root = folder.resolve()
    target = (folder / relative).resolve()
    if target != root and root not in target.parents:
        raise InfopipeError("ingest", [Problem(shown, "unsafe-path",
                            f"resolves to {target}, outside the raw folder {root}")])
    return target


def read_raw_tables(spec: Spec, raw_dir: Path) -> dict[str, RawTable]:
    """Read every dataset the spec names; raise one error listing the problems of all files."""
    tables, problems = {}, []
    for ds in spec.datasets.values():
        try:
            tables[ds.name] = read_raw_table(ds, raw_dir, spec.max_file_bytes)
        except InfopipeError as err:
            problems.extend(err.problems)
    if problems:
        raise InfopipeError("ingest", problems)
    return tables


def read_raw_table(ds: DatasetSpec, raw_dir: Path, max_bytes: int) -> RawTable:
    shown = f"{raw_dir.name}/{ds.file}"
    path = resolve_inside(raw_dir, ds.file, shown)
    if not path.is_file():
        raise InfopipeError("ingest", [Problem(shown, "file-missing",
                            f"dataset '{ds.name}' expects this file and it is not there")])
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise InfopipeError("ingest", [Problem(shown, "file-too-large",
                            f"{size:,} bytes is more than the spec's max_file_bytes ({max_bytes:,}); "
                            "nothing was read. Split the file or raise max_file_bytes in the spec")])
    data = path.read_bytes()
    text = _decode(data, shown)
    header, rows, lines = _parse_csv(text, shown, ds)
    cells = pd.DataFrame(rows, columns=header, dtype=object)
    return RawTable(ds.name, path, shown, hashlib.sha256(data).hexdigest(), size, cells, tuple(lines))


def _decode(data: bytes, shown: str) -> str:
    """UTF-8 only (a BOM is accepted and dropped); anything else is named, with its line."""
    if not data.strip():
        raise InfopipeError("ingest", [Problem(shown, "empty-file", "the file is empty: it needs at "
                            "least a header line naming the columns")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        byte = data[err.start]
        hint = " (0xA3 is '£' in Windows-1252/Latin-1)" if byte == 0xA3 else ""
        raise InfopipeError("ingest", [Problem(shown, "encoding",
                            f"not UTF-8: byte 0x{byte:02X} at offset {err.start}{hint}; save the "
                            "file as 'CSV UTF-8'", line=line)])


def _parse_csv(text: str, shown: str, ds: DatasetSpec) -> tuple[list[str], list[list[str]], list[int]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    rows: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = None
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not record or record == [""]:
                continue  # blank line
            if header is None:
                header = [h.strip() for h in record]
                problems += _check_header(header, shown, ds, line)
                if problems:
                    break
                continue
            if len(record) != len(header):
                problems.append(Problem(shown, "field-count", f"has {len(record)} fields, the header "
                                f"has {len(header)}: a truncated line or a stray delimiter",
                                row=len(rows) + 1, line=line))
                continue
            rows.append(record)
            lines.append(line)
    except csv.Error as err:
        problems.append(Problem(shown, "csv-syntax", f"cannot be read as CSV: {err} (an unclosed "
                        "quote, or a truncated file?)", row=len(rows) + 1, line=start))
    if header is not None and not problems and not rows:
        problems.append(Problem(shown, "no-rows", "has a header but no data rows", line=2))
    if problems:
        raise InfopipeError("ingest", problems)
    return header, rows, lines


def _check_header(header: list[str], shown: str, ds: DatasetSpec, line: int) -> list[Problem]:
    expected = list(ds.columns)
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        sep = next(s for s in ";\t|" if s in header[0])
        return [Problem(shown, "delimiter", f"the header is one field containing {sep!r}: the file "
                "seems separated by it; infopipe reads comma-separated files", line=line,
                value=header[0])]
    problems = []
    for name in sorted({h for h in header if header.count(h) > 1}):
        problems.append(Problem(shown, "duplicate-column", "column named twice in the header",
                                line=line, column=name))
    for name in expected:
        if name not in header:
            problems.append(Problem(shown, "missing-column", f"required by dataset '{ds.name}'",
                                    line=line, column=name))
    for name in header:
        if name not in expected:
            problems.append(Problem(shown, "unknown-column", "not declared in the spec: declare it "
                            f"under datasets.{ds.name}.columns or remove it (unknown columns are "
                            "refused so a misspelt name cannot hide data)", line=line, column=name))
    return problems
