"""Hashing files and keeping paths inside their folder: small, dependency-free helpers every step
uses (kept apart from ingest so that checking whether anything changed imports no pandas)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from .errors import InfopipeError, Problem


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


def inside(folder: Path, relative: str, step: str = "publish") -> Path:
    """The absolute path of a file to write, refused if it would land outside `folder` (through
    '..', an absolute part or a symlink): nothing a spec or data says can write elsewhere."""
    root = Path(folder).resolve()
    target = (root / relative).resolve()
    if target == root or not target.is_relative_to(root):
        raise InfopipeError(step, [Problem(str(relative), "path-escape",
                                           f"an output would be written outside {root}; refused")])
    return target


def reuse_file(source: Path, dest: Path) -> None:
    """Put an earlier run's file into this run: a hard link (runs are never edited after they are
    published, so sharing the bytes is safe and free), or a copy where links are not possible."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, dest)
    except OSError:
        shutil.copyfile(source, dest)
