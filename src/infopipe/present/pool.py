"""Draw the raster files (PNG 1x and 2x, PDF) of a page in worker processes, one per CPU.

resvg and cairosvg hold the GIL while they draw, so threads do not help: a page of 500 panels spent
its render drawing 1,000 PNGs one after another on one core. The workers are forked from the run's
process, so they start in milliseconds with the fonts, modules and caches already loaded, and draw
with the very same function (`draw`) and inputs as the process would itself: the bytes are the same.
Large files go first (the page PNG and PDF), so the workers finish together. A worker ignores Ctrl-C
and dies on SIGTERM, so the run's own clean-up (stop, time limit, error) ends them all at once.

`INFOPIPE_RASTER_PROCESSES=1` draws in the run's process (benchmarks compare the two).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from typing import Callable, Iterator, Sequence, TypeVar

Job = TypeVar("Job")
ENV = "INFOPIPE_RASTER_PROCESSES"
MIN_JOBS = 4  # fewer files than this are drawn in the run's process: a worker would idle


def processes(jobs: int) -> int:
    """How many processes draw `jobs` files: the CPUs this process may use, at most `ENV`."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    wanted = os.environ.get(ENV, "")
    limit = int(wanted) if wanted.isdigit() and int(wanted) > 0 else cpus
    return 1 if jobs < MIN_JOBS else max(1, min(cpus, limit, jobs))


def drawn(jobs: Sequence[Job], draw: Callable[[Job], bytes], size: Callable[[Job], float],
          deadline: float | None, too_late: Callable[[], BaseException]) -> Iterator[tuple[int, bytes]]:
    """(index, bytes) for every job, in the order they finish. `draw` must be a module-level
    function (workers receive it by name). Past `deadline` (time.monotonic), raise too_late()."""
    count = processes(len(jobs))
    if count == 1:
        for index, job in enumerate(jobs):
            if deadline is not None and time.monotonic() > deadline:
                raise too_late()
            yield index, draw(job)
        return
    order = sorted(range(len(jobs)), key=lambda i: -size(jobs[i]))  # the biggest first
    pool = multiprocessing.get_context("fork").Pool(count, initializer=_worker_signals)
    try:
        results = pool.imap_unordered(_draw_one, [(i, jobs[i], draw) for i in order])
        for _ in jobs:
            wait = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                yield results.next(timeout=wait)
            except multiprocessing.TimeoutError:
                raise too_late() from None
        pool.close()
    finally:
        pool.terminate()  # at once, whatever is still drawing (an error, a stop, the time limit)
        pool.join()


def _draw_one(item) -> tuple[int, bytes]:
    index, job, draw = item
    return index, draw(job)


def _worker_signals() -> None:
    """Ctrl-C reaches the whole process group: only the run handles it (and then ends the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
