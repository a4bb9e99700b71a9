"""Hashing files and keeping paths inside their folder: small, dependency-free helpers every step
uses (kept apart from ingest so that checking whether anything changed imports no pandas)."""

from __future__ import annotations

import hashlib
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
