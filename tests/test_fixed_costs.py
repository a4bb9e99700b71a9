"""What a run pays before doing any work: a no-change `make run` decides "nothing changed" without
Prefect, and a run process imports only what it uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import PROJECT, ROOT
from infopipe.run.pipeline import Paths, up_to_date
from infopipe.run.provenance import read_log
from infopipe.run.publish import project_lock

UNREACHABLE_API = "http://127.0.0.1:9/api"  # the discard port: nothing answers there


def infopipe(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -X importtime -m infopipe.cli ARGS` in a fresh process (importtime goes to stderr)."""
    env = {**os.environ, **(env or {}),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-X", "importtime", "-m", "infopipe.cli", *args],
                          capture_output=True, text=True, env=env, timeout=300)


def imported(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


def test_a_no_change_prefect_run_needs_no_server_and_makes_no_flow_run(good_copy):
    paths = Paths.for_project(PROJECT, good_copy)
    current = (paths.project_out / "latest").resolve()
    entries = len(read_log(paths.log_file))
    done = infopipe("--root", str(good_copy), "run", PROJECT, "--prefect",
                    env={"PREFECT_API_URL": UNREACHABLE_API})
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"Up to date: nothing changed since run {current.name}, so no Prefect flow run was made" in done.stdout
    assert f"Outputs: {current}" in done.stdout
    assert "prefect" not in imported(done.stderr)  # Prefect itself was never loaded
    assert "pandas" not in imported(done.stderr)  # nor the compute step's libraries
    log = read_log(paths.log_file)
    assert len(log) == entries + 1
    last = json.loads(log[-1])
    assert (last["status"], last["current_run"]) == ("up-to-date", current.name)
    assert sorted(p.name for p in (paths.project_out / "runs").iterdir()) == [current.name]


def test_a_no_change_run_says_a_stale_accepted_difference_without_loading_pandas(good_copy):
    """The warning is read from the run's figures.json, as a cold run says it from its figures."""
    spec = good_copy / "projects" / PROJECT / "spec.yaml"
    figure = json.loads(((Paths.for_project(PROJECT, good_copy).project_out / "latest" / "figures.json")
                         .read_text(encoding="utf-8")))["figures"][0]
    text = spec.read_text(encoding="utf-8")
    at = text.index(f"id: {figure['id']}")
    spec.write_text(text[:at] + f"id: {figure['id']}\n    accepted_difference: a rounding in the report"
                    + text[at + len(f"id: {figure['id']}"):], encoding="utf-8")
    changed = infopipe("--root", str(good_copy), "run", PROJECT)
    unchanged = infopipe("--root", str(good_copy), "run", PROJECT)
    warning = (f"[accepted-difference-stale] figure '{figure['id']}' now computes to")
    for done in (changed, unchanged):
        assert done.returncode == 0, done.stderr[-2000:]
        assert warning in done.stderr
    assert "Up to date" not in changed.stdout and "pandas" in imported(changed.stderr)
    assert "pandas" not in imported(unchanged.stderr)


def test_up_to_date_leaves_a_changed_or_locked_project_to_the_full_run(good_copy):
    paths = Paths.for_project(PROJECT, good_copy)
    entries = len(read_log(paths.log_file))
    with project_lock(paths.project_out):  # another run holds the project: the flow waits or refuses
        assert up_to_date(paths) is None
    raw = paths.raw_dir / "funding_awards.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace(",1000000,", ",1250000,"), encoding="utf-8")
    assert up_to_date(paths) is None
    assert len(read_log(paths.log_file)) == entries  # nothing logged: the full run logs what it does


def test_a_run_process_validates_with_pandera_without_loading_hypothesis(project_root):
    projects = project_root / "data" / "raw" / PROJECT / "projects.csv"
    projects.write_text(projects.read_text(encoding="utf-8").replace(",pilot,", ",pilots,", 1), encoding="utf-8")
    done = infopipe("--root", str(project_root), "validate", PROJECT)
    assert done.returncode == 1
    assert ("row 1, line 2, column 'kind': [allowed] must be one of: pilot, arc_project (value: 'pilots')"
            in done.stderr)  # pandera's isin check, run in this process
    modules = imported(done.stderr)
    assert "pandera.backends.pandas.builtin_checks" in modules
    assert "hypothesis.core" not in modules  # only a refused `import hypothesis.strategies` is listed


COLD_RUN = """
import sys
from pathlib import Path
from infopipe.run.pipeline import Paths, run
run(Paths.for_project(sys.argv[1], Path(sys.argv[2])))
print(sorted(m for m in ("cairosvg", "cairocffi", "hypothesis", "prefect") if m in sys.modules))
"""


def test_a_cold_run_draws_its_pdf_without_importing_cairo_in_the_run_process(project_root):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", COLD_RUN, PROJECT, str(project_root)], capture_output=True,
                          text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"  # the raster workers imported cairo, not the run
    assert (project_root / "outputs" / PROJECT / "latest" / "page.pdf").stat().st_size > 1000


WARM = """
import sys, threading
from pathlib import Path
from infopipe.run import plan, warm
from infopipe.spec.model import load_spec
warm.BIG = {big}
spec = load_spec(Path(sys.argv[1]) / "projects" / "jam-and-justice" / "spec.yaml")
assert "pandas" not in sys.modules
plan.raw_fingerprints(spec, Path(sys.argv[1]) / "data" / "raw" / "jam-and-justice")
for thread in threading.enumerate():
    if thread.name == "infopipe-imports":
        thread.join()
print(sorted(m for m in warm.LIBRARIES if m in sys.modules))
"""


def test_pandas_and_pyarrow_are_imported_while_a_big_raw_file_is_hashed_and_only_then(project_root):
    """A cold run of 10M rows paid 0.35 s of imports in validate, after 0.9 s of hashing with the
    GIL free (run/warm.py)."""
    def imported_while_planning(big: int) -> list[str]:
        done = subprocess.run([sys.executable, "-c", WARM.format(big=big), str(project_root)], capture_output=True,
                              text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.replace("'", '"'))

    assert imported_while_planning(1) == sorted(("numpy", "pandas", "pyarrow", "pyarrow.compute", "pyarrow.csv",
                                                 "pyarrow.parquet"))
    assert imported_while_planning(1 << 40) == []
