"""Rasters drawn by worker processes: the same bytes as drawn in the run's process, errors and the time
limit come back as the run's own errors, and no worker outlives the render."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
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
