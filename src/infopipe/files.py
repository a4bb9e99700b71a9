"""Hashing files and keeping paths inside their folder: small, dependency-free helpers every step
uses (kept apart from ingest so that checking whether anything changed imports no pandas)."""

from __future__ import annotations

import hashlib
import stat
import os
import shutil
from pathlib import Path

from infopipe.errors import InfopipeError, Problem, os_problem


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_HASHED: dict[tuple, str] = {}  # files this process hashed, by their identity and stamp


def _stamp(path: Path) -> tuple:
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def sha256_once(path: Path) -> str:
    """sha256_file, hashed once per process while the file keeps its stamp (device, inode, size,
    modification time): a run hashes a raw file to plan, then reads it to validate, and lists its
    own files twice (report, record); a copied input was hashed as it was copied. A file changed
    since has another stamp and is hashed again."""
    key = _stamp(path)
    if key not in _HASHED:
        _HASHED[key] = sha256_file(path)
    return _HASHED[key]


def known_sha256(path: Path) -> str | None:
    """The hash sha256_once holds for the file as it is now; None if it was not hashed so."""
    try:
        return _HASHED.get(_stamp(path))
    except OSError:
        return None


class HashedWriting:
    """A file hashed as it is written (Parquet's writer writes into it, on its own thread), so that
    sha256_once need not read it again: 10M validated rows are 300 MB."""

    def __init__(self, path: Path):
        self.path, self.handle, self.digest = path, open(path, "wb"), hashlib.sha256()

    def write(self, data) -> int:
        self.digest.update(data)
        return self.handle.write(data)

    def tell(self) -> int:
        return self.handle.tell()

    def flush(self) -> None:
        self.handle.flush()

    @property
    def closed(self) -> bool:
        return self.handle.closed

    def close(self) -> None:
        if not self.handle.closed:
            self.handle.close()
            _HASHED[_stamp(self.path)] = self.digest.hexdigest()  # a rename keeps the stamp


def copy_hashed(source: Path, dest: Path) -> str:
    """Copy a file and hash it in the same pass (a raw file can be gigabytes); its sha256. A source
    this process hashed already, unchanged from before the copy to after it, is copied by the
    kernel and not hashed again."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    known = known_sha256(source)
    if known is not None:
        shutil.copyfile(source, dest)
        if known_sha256(source) == known:
            _HASHED[_stamp(dest)] = known
            return known
    writing = HashedWriting(dest)
    try:
        with open(source, "rb") as reading:
            for block in iter(lambda: reading.read(1 << 22), b""):
                writing.write(block)
    finally:
        writing.close()
    return writing.digest.hexdigest()


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


def raw_file(folder: Path, relative: str, shown: str, dataset: str) -> Path:
    """The raw file a dataset names, checked before it is read: inside the raw folder, there, a
    regular file, readable. Each failure is one located problem with its real cause (a symlink
    loop, a folder, a FIFO or device, a permission), never a traceback."""
    def refuse(check: str, message: str):
        return InfopipeError("ingest", [Problem(shown, check, message)])

    try:
        path = resolve_inside(folder, relative, shown)
    except RuntimeError:  # Path.resolve() on a link that points back at itself
        raise refuse("symlink-loop", "a symbolic link that loops back on itself; point it at the "
                     "real file") from None
    try:
        info = path.stat()
    except FileNotFoundError:
        raise refuse("file-missing", f"dataset '{dataset}' expects this file and it is not there") from None
    except OSError as err:
        problem = os_problem(err, shown)
        raise InfopipeError("ingest", [Problem(shown, problem.check, problem.message)]) from None
    if stat.S_ISDIR(info.st_mode):
        raise refuse("not-a-file", "is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise refuse("not-a-file", "is not a regular file (a FIFO, socket or device): infopipe reads "
                     "files only, so that reading cannot block or never end")
    if not os.access(path, os.R_OK):
        raise refuse("permission", "cannot be read: permission denied for this user")
    return path


def is_pattern(relative: str) -> bool:
    """A dataset's `file` that names several Parquet files: `events/*.parquet`."""
    return "*" in relative


def matching_files(folder: Path, pattern: str, shown: str, dataset: str) -> list[tuple[str, Path]]:
    """(relative name, path) of each file a pattern such as `events/*.parquet` names, sorted by name,
    each checked as raw_file checks one; no file at all is an error."""
    parent, _, glob = pattern.rpartition("/")
    base = resolve_inside(folder, parent or ".", shown)
    names = sorted(p.name for p in base.glob(glob)) if base.is_dir() else []
    if not names:
        raise InfopipeError("ingest", [Problem(shown, "file-missing", f"dataset '{dataset}' expects files "
                                       "matching this pattern and none is there")])
    return [(rel, raw_file(folder, rel, shown, dataset)) for rel in (f"{parent}/{n}" if parent else n for n in names)]


def sha256_files(files: list[tuple[str, Path]]) -> str:
    """One hash for several files: each one's relative name and content hash, in name order."""
    digest = hashlib.sha256()
    for rel, path in files:
        digest.update(f"{rel}\0{sha256_once(path)}\n".encode("utf-8"))
    return digest.hexdigest()

