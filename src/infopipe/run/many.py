"""Build several projects at once, each in one of N worker processes (`infopipe build-all --parallel N`).

A run holds the GIL for most of its work (spec, layout, templates, resvg), so threads cannot build two
projects at once; processes can. Each worker is a fresh interpreter that pays its imports once and then
builds project after project; it draws its rasters itself (the projects are the parallel work).
Workers receive project names and paths and give back the run folder or the run's own error: every run
still takes its project's lock and logs its entry exactly as a run on its own does.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Iterator

from infopipe.errors import InfopipeError, Problem


def build_each(root: Path, names: list[str], processes: int, lock_wait: float = 0) -> Iterator[tuple[str, Path | InfopipeError]]:
    """(project, its run folder or its error) for every project, in the order they finish."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing inherited mid-use
    with ProcessPoolExecutor(max(1, processes), mp_context=context, initializer=_worker_start) as pool:
        running: dict[Future, str] = {pool.submit(_build, str(root), name, lock_wait): name for name in names}
        try:
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    name = running.pop(future)
                    yield name, _outcome(name, future)
        finally:
            for future in running:
                future.cancel()


def _outcome(name: str, future: Future) -> Path | InfopipeError:
    try:
        return Path(future.result())
    except InfopipeError as err:
        return err
    except Exception as err:  # a worker that died (killed, out of memory): one line for that project
        return InfopipeError("build-all", [Problem(name, "worker-failed", f"{type(err).__name__}: {err}")])


def _worker_start() -> None:
    os.environ["INFOPIPE_RASTER_PROCESSES"] = "1"  # the other cores build the other projects


def _build(root: str, name: str, lock_wait: float) -> str:
    from infopipe.run.pipeline import Paths, call, run

    return str(run(Paths.for_project(name, Path(root)), step=call, lock_wait=lock_wait))
