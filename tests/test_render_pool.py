"""Rasters drawn by worker processes: the same bytes as drawn in the run's process, errors and the time
limit come back as the run's own errors, and no worker outlives the render."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import platform
import time

import pytest

from infopipe.errors import InfopipeError, Problem
from infopipe.present import pool
from infopipe.present.render import plan_outputs, write_outputs
from panel_samples import jam_page


def hashes(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def whose(job: int) -> bytes:
    if job < 0:
        raise InfopipeError("render", [Problem("panel", "bad-svg", f"job {job} cannot be drawn")])
    time.sleep(job / 1000)  # long enough that every worker gets some
    return f"{job}:{os.getpid()}".encode()


def late() -> InfopipeError:
    return InfopipeError("render", [Problem("render", "render-timeout", "too late")])


def test_pooled_and_in_process_rasters_are_the_same_bytes(tmp_path, monkeypatch):
    outputs = plan_outputs(jam_page(), tmp_path / "pooled")
    assert pool.processes(sum(o.renderer != "template" for o in outputs)) == min(2, len(os.sched_getaffinity(0)))
    write_outputs(outputs, tmp_path / "pooled")
    monkeypatch.setenv(pool.ENV, "1")
    assert pool.processes(100) == 1
    write_outputs(plan_outputs(jam_page(), tmp_path / "here"), tmp_path / "here")
    pooled, here = hashes(tmp_path / "pooled"), hashes(tmp_path / "here")
    assert {"page.pdf", "page.png", "panels/04-recruits@2x.png"} <= set(pooled)
    assert pooled == here


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU: everything is drawn in-process")
def test_every_job_comes_back_once_drawn_by_other_processes():
    got = dict(pool.drawn(list(range(20, 60)), whose, float, None, late))
    assert sorted(got) == list(range(40))  # indexes into the job list
    assert all(data.startswith(f"{i + 20}:".encode()) for i, data in got.items())
    workers = {data.split(b":")[1] for data in got.values()}
    assert str(os.getpid()).encode() not in workers and len(workers) >= 2
    assert multiprocessing.active_children() == []


def test_a_workers_error_is_the_runs_error_and_ends_the_pool():
    with pytest.raises(InfopipeError) as err:
        list(pool.drawn([1, 2, -3, 4, 5], whose, float, None, late))
    assert str(err.value.problems[0]) == "panel: [bad-svg] job -3 cannot be drawn"
    assert multiprocessing.active_children() == []


def test_past_the_deadline_the_render_stops_at_once():
    began = time.monotonic()
    with pytest.raises(InfopipeError, match="render-timeout"):
        list(pool.drawn([1, 2, 3, 30_000, 4], whose, float, time.monotonic() + 1.0, late))
    assert time.monotonic() - began < 10  # not the 30 s the slow job would take
    assert multiprocessing.active_children() == []


def touch(path) -> bytes:
    path.touch()
    return path.name.encode()


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU: everything is drawn in-process")
def test_the_workers_draw_before_anyone_asks_for_a_result(tmp_path):
    """write_outputs writes the text files while the rasters are drawn: the workers start when the
    drawing begins, not when the first result is read."""
    jobs = [tmp_path / f"{i}.png" for i in range(8)]
    with pool.drawing(jobs, touch, lambda job: 1.0, None, late) as results:
        waited = time.monotonic() + 20
        while not all(job.exists() for job in jobs) and time.monotonic() < waited:
            time.sleep(0.02)
        assert all(job.exists() for job in jobs)  # drawn while this process did something else
        assert sorted(data for _, data in results) == sorted(job.name.encode() for job in jobs)
    assert multiprocessing.active_children() == []


def faults_drawing(outputs) -> bytes:
    """Minor page faults (fresh zeroed pages from the kernel) while drawing `outputs` five times."""
    import resource

    from infopipe.present.render import make_bytes

    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        for out in outputs:
            make_bytes(out)
    return str(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before).encode()


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU: everything is drawn in-process")
@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only: elsewhere the workers keep the default")
def test_a_worker_reuses_freed_pixmaps_instead_of_faulting_in_new_pages(tmp_path):
    rasters = [o for o in plan_outputs(jam_page(), tmp_path) if o.renderer != "template" and o.owner != "page"]
    got = dict(pool.drawn([rasters] * 4, faults_drawing, lambda job: 1.0, None, late))
    per_drawing = min(int(faults) for faults in got.values()) / (5 * len(rasters))
    assert per_drawing < 150  # ~50 here; ~300 (a fresh mapping for each pixmap) without the limits
