"""Validate's libraries imported on another thread while the plan hashes a big raw file.

A cold run of 10M rows spent 0.35 s of its validate step importing pandas and pyarrow, just after
the plan had spent 0.9 s hashing the file, with the GIL free (hashlib and file reads let go of it).
Only libraries are imported here, never infopipe's own modules: these never import infopipe, so the
run's thread and this one cannot wait on each other's import locks.
"""

from __future__ import annotations

import atexit
import importlib
import threading

LIBRARIES = ("numpy", "pandas", "pyarrow", "pyarrow.compute", "pyarrow.csv", "pyarrow.parquet")
BIG = 64 << 20  # bytes of raw file worth hashing beside the imports (about 50 ms of hashing)
_started = threading.Event()


def import_meanwhile() -> None:
    """Start importing LIBRARIES on a daemon thread, once per process."""
    if _started.is_set():
        return
    _started.set()
    thread = threading.Thread(target=_import, name="infopipe-imports", daemon=True)
    thread.start()
    atexit.register(thread.join)  # a run that needs nothing redone exits after the imports, not inside one


def _import() -> None:
    for name in LIBRARIES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - validate imports it again and says what is wrong
            return
