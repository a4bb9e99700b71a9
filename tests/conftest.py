"""Shared fixtures: throwaway copies of the shipped project, and one good run per session."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "jam-and-justice"
SHARED = ROOT.parent / "shared"  # published reports live in SHARED/reports, beside the project, never in it
REPORT = SHARED / "reports" / "coderefinery-phase-3-report.pdf"
needs_report = pytest.mark.skipif(not REPORT.is_file(), reason=f"the published CodeRefinery report is not at "
                                  f"{REPORT} (it is not committed; see ../shared/reports/README.md)")
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))


def copy_project(dest: Path, project: str = PROJECT) -> Path:
    """An infopipe root holding one shipped project's spec and raw data, and nothing generated."""
    shutil.copytree(ROOT / "projects" / project, dest / "projects" / project)
    shutil.copytree(ROOT / "data" / "raw" / project, dest / "data" / "raw" / project)
    beside = dest.parent / "shared"  # a spec's report.file, ../shared/reports/..., resolves as in the checkout
    if SHARED.is_dir() and not beside.exists():
        beside.symlink_to(SHARED, target_is_directory=True)
    spec = dest / "projects" / project / "spec.yaml"
    if "\nreport:" in spec.read_text(encoding="utf-8") and not REPORT.is_file():
        without_report(spec)  # a checkout with no ../shared: the page is still built; coverage tests skip
    return dest


def without_report(spec: Path) -> None:
    """The spec without its top-level `report:` block (the published PDF it names is not here)."""
    lines, kept, inside = spec.read_text(encoding="utf-8").splitlines(keepends=True), [], False
    for line in lines:
        if line.startswith("report:"):
            inside = True
        elif inside and line.strip() and not line.startswith((" ", "#")):
            inside = False
        if not inside:
            kept.append(line)
    spec.write_text("".join(kept), encoding="utf-8")


def latest_target(root: Path) -> str:
    """Where `latest` points, as written in the link."""
    return os.readlink(root / "outputs" / PROJECT / "latest")


def computed_figures(root: Path) -> dict:
    """Every figure's FigureResult for a root's spec and raw data, without rendering."""
    from infopipe.compute import compute_figures
    from infopipe.data.ingest import read_raw_tables
    from infopipe.spec.model import load_spec
    from infopipe.data.validate import validate_tables

    spec = load_spec(root / "projects" / PROJECT / "spec.yaml")
    tables = validate_tables(spec, read_raw_tables(spec, root / "data" / "raw" / PROJECT))
    return {r.id: r for r in compute_figures(spec, tables)}


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture
def project_root(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "root")


@pytest.fixture(scope="session")
def good_root(tmp_path_factory) -> Path:
    """A root with one complete run of the shipped data (rendered once for the whole session)."""
    from infopipe.run.pipeline import Paths, run

    root = copy_project(tmp_path_factory.mktemp("good") / "root")
    run(Paths.for_project(PROJECT, root))
    return root


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """A Prefect server on a free loopback port with its own temporary PREFECT_HOME, shared by the
    session's Prefect tests and stopped (its whole process group) at the end, also on failure."""
    from infopipe.run import prefect_server

    server = prefect_server.Server(tmp_path_factory.mktemp("prefect-home"), prefect_server.free_port())
    prefect_server.start(server)  # with the UI, as `make run` starts it
    try:
        yield server
    finally:
        prefect_server.stop(server)


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster on a loopback port (tests/postgres.py), for the whole session;
    the tests that use it are skipped where PostgreSQL is not installed."""
    import postgres as pg

    if pg.server_bin() is None:
        pytest.skip("PostgreSQL is not installed (scripts/ensure-system-packages.sh installs it)")
    cluster = pg.start_cluster()
    try:
        yield cluster
    finally:
        pg.remove_cluster(cluster)


def prefect_env(server) -> dict:
    """The environment of a process that should use `server` (and this checkout's code)."""
    return {**os.environ, "PREFECT_API_URL": server.api_url, "PREFECT_HOME": str(server.home),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "DO_NOT_TRACK": "1"}


@pytest.fixture
def good_copy(good_root: Path, tmp_path: Path) -> Path:
    """A private copy of the good root, safe to tamper with."""
    dest = tmp_path / "copy"
    shutil.copytree(good_root, dest, symlinks=True)
    return dest
