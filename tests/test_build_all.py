"""`infopipe build-all --parallel N` without Prefect: projects built at the same time in worker
processes, each run whole, logged and verifiable, and a failing project stops no other."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from conftest import PROJECT, ROOT, copy_project
from infopipe.run.pipeline import Paths
from infopipe.run.provenance import read_log
from infopipe.review import verify


def add_project(root, name: str, spec_edit=lambda text: text):
    shutil.copytree(root / "projects" / PROJECT, root / "projects" / name)
    spec = root / "projects" / name / "spec.yaml"
    spec.write_text(spec_edit(spec.read_text(encoding="utf-8").replace(f"project: {PROJECT}", f"project: {name}")),
                    encoding="utf-8")
    shutil.copytree(root / "data" / "raw" / PROJECT, root / "data" / "raw" / name)


def build_all(root, *args):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "infopipe.cli", "--root", str(root), "build-all", *args],
                          capture_output=True, text=True, env=env, timeout=600)


def entries(root, name):
    return [json.loads(line) for line in read_log(Paths.for_project(name, root).log_file)]


def test_projects_are_built_at_the_same_time_each_run_whole(tmp_path):
    root = copy_project(tmp_path / "root")
    add_project(root, "second")
    add_project(root, "broken", lambda text: text.replace("type: count_rows", "type: count_rowz", 1))
    done = build_all(root, "--parallel", "2")
    assert done.returncode == 1
    assert "[project-failed] spec failed: 1 problem" in done.stderr and "Traceback" not in done.stderr
    runs = {}
    for name in (PROJECT, "second"):
        (entry,) = entries(root, name)
        assert entry["status"] == "succeeded" and f"Outputs: {entry['run_folder']}" in done.stdout
        folder, problems = verify(Paths.for_project(name, root), None, False)
        assert problems == [] and folder.name == entry["run_id"]
        runs[name] = entry
    (failed,) = entries(root, "broken")
    assert failed["status"] == "failed" and failed["failed_step"] == "spec"
    first, second = runs[PROJECT], runs["second"]
    assert first["started_at"] < second["finished_at"] and second["started_at"] < first["finished_at"]  # overlap
