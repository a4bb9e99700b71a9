"""Run folders that appear whole or not at all, a `latest` link that only moves to a complete run,
and a per-project lock so two runs never interleave their outputs or log entries.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from infopipe.errors import InfopipeError, Problem

STAGING_PREFIX = ".staging-"


@contextmanager
def project_lock(project_out: Path, wait_seconds: float = 0):
    """Hold the project's lock; the OS drops it if the process dies, so it can never go stale."""
    try:
        project_out.mkdir(parents=True, exist_ok=True)
        handle = open(project_out / ".lock", "a+")
    except OSError as err:
        raise InfopipeError("publish", [Problem(str(project_out), "output-folder",
                            f"cannot write to the output folder: {err.strerror}")]) from err
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                handle.close()
                raise InfopipeError("lock", [Problem(str(project_out / ".lock"), "locked",
                                    f"another run of this project is in progress ({holder}); wait "
                                    "for it to finish, or pass --wait SECONDS")]) from None
            time.sleep(0.2)
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def staging_folder(project_out: Path, run_id: str) -> Path:
    """A hidden folder a run writes into; it only becomes runs/<run_id> when complete."""
    folder = project_out / "runs" / f"{STAGING_PREFIX}{run_id}"
    folder.mkdir(parents=True)
    return folder


def finish_run(staging: Path, project_out: Path, run_id: str) -> Path:
    """Rename the staged run into place, then atomically point `latest` at it."""
    final = project_out / "runs" / run_id
    staging.rename(final)
    _fsync_dir(final.parent)
    link = project_out / "latest"
    tmp = project_out / f".latest-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(Path("runs") / run_id)
    os.replace(tmp, link)
    _fsync_dir(project_out)
    return final


def discard_run(staging: Path | None) -> None:
    if staging is not None and staging.exists():
        shutil.rmtree(staging, ignore_errors=True)


def latest_run(project_out: Path) -> Path | None:
    link = project_out / "latest"
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
