"""The `infopipe` command: one command tree (cyclopts) for the plain CLI, the Prefect flow entry point
(`python flows/build_infographic.py` is `infopipe run --prefect`), schedules and the local server.

Every command names its project the same way, as an optional first argument (the only project under
projects/ when left out). Exit codes: 0 ok, 1 bad input (the error, never a traceback), 2 unexpected.
Prefect is imported only by the commands that use it, so the plain commands work with no server.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from cyclopts import App, CycloptsError, Parameter

from infopipe import __version__
from infopipe.errors import InfopipeError, Problem, Stopped
from infopipe.run.prefect_server import code_root

CODE_ROOT = code_root()  # the checkout holding flows/ and .prefect/ (else the current folder)

app = App(name="infopipe", version=__version__, result_action="return_value", exit_on_error=False,
          suppress_keyboard_interrupt=False,
          default_parameter=Parameter(negative=()),
          help="Rebuild a report infographic from raw data, with provenance a reviewer can check.",
          error_formatter=lambda e: f"infopipe: {e}")
app.meta.suppress_keyboard_interrupt = False  # Ctrl-C goes through main(): one line, exit 130
server_app = App(name="server", help="The local Prefect server that `make run` uses (start, stop, status).")
app.command(server_app)


@dataclass
class Options:
    root: Path = Path(".")


OPTIONS = Options()


class Unavailable(Exception):
    """A command whose implementation this version of infopipe does not have yet."""


# --- entry point --------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    try:
        result = app.meta(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()  # in a pipe, output is buffered: a reader that left shows up here, not at exit
    except CycloptsError:
        return 1  # already printed, one line
    except InfopipeError as err:
        print(err, file=sys.stderr)
        if getattr(err, "review_page", None):
            print(f"Review page: {err.review_page}", file=sys.stderr)
        return 1
    except Unavailable as err:
        print(f"infopipe: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `infopipe verify | head`: the reader left; that is not an error of ours
        quiet_stdout()
        return 128 + signal.SIGPIPE
    except KeyboardInterrupt:
        print("infopipe: interrupted (the run was logged as failed; nothing was published)", file=sys.stderr)
        return 128 + signal.SIGINT
    except Stopped as err:
        print(f"infopipe: {err} (the run was logged as failed; nothing was published)", file=sys.stderr)
        return 128 + err.signum
    except Exception as err:  # a bug, not bad input: one line here, the traceback in a file
        where = write_traceback(err)
        print(f"infopipe: unexpected error ({type(err).__name__}: {str(err)[:200]}); this is a bug in "
              f"infopipe; the details are in {where}", file=sys.stderr)
        return 2
    return result if isinstance(result, int) else 0


@app.meta.default
def _launcher(*tokens: Annotated[str, Parameter(show=False, allow_leading_hyphen=True)],
              root: Path = Path(".")):
    """Rebuild a report infographic from raw data, with provenance a reviewer can check.

    Parameters
    ----------
    root
        The infopipe folder holding projects/, data/ and outputs/.
    """
    OPTIONS.root = root
    return app(tokens)


def quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush does not fail a second time on the
    closed pipe (the recipe of Python's signal module documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def write_traceback(err: BaseException) -> Path:
    """Keep the traceback for a bug report in a file under the outputs folder (or the temp folder
    when that cannot be written), never on the screen."""
    text = "".join(traceback.format_exception(err))
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for folder in (OPTIONS.root / "outputs" / ".errors", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"infopipe-error-{stamp}-{os.getpid()}.txt"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return Path("(nowhere: no folder could be written)")


# --- projects -----------------------------------------------------------------------------------

def resolve_project(given: str | None, root: Path | None = None) -> str:
    """The named project, or the only one there is."""
    from infopipe.run.pipeline import project_names

    if given:
        return given
    root = OPTIONS.root if root is None else root
    where = str(Path(root) / "projects")
    try:
        names = project_names(root)
    except OSError as err:
        raise InfopipeError("project", [Problem(where, "unreadable", f"cannot list the projects: "
                            f"{err.strerror}; name the project")]) from err
    if len(names) == 1:
        return names[0]
    if not names:
        raise InfopipeError("project", [Problem(where, "no-project", "no project here (a folder with a "
                            "spec.yaml); create one with `infopipe new NAME`")])
    raise InfopipeError("project", [Problem(where, "which-project", f"{len(names)} projects "
                        f"({', '.join(names)}); name one")])


def _paths(project: str | None, raw: Path | None = None, out: Path | None = None):
    from infopipe.run.pipeline import Paths

    return Paths.for_project(resolve_project(project), OPTIONS.root, raw, out)


def _split(args: tuple[str, ...], wanted: int, what: str) -> tuple[str | None, list[str]]:
    """`[PROJECT] A B`: with one more argument than `wanted`, the first is the project."""
    if len(args) == wanted:
        return None, list(args)
    if len(args) == wanted + 1:
        return args[0], list(args[1:])
    raise _usage(f"[PROJECT] {what}", len(args))


def _usage(expected: str, got: int) -> InfopipeError:
    return InfopipeError("usage", [Problem("command line", "arguments", f"expected {expected}, got {got} "
                         "arguments")])


# --- building -----------------------------------------------------------------------------------

@app.command
def run(project: str | None = None, /, *, raw: Path | None = None, out: Path | None = None,
        wait: float = 0, force: bool = False, prefect: bool = False, port: int | None = None) -> int:
    """Build the infographic: validate, compute, render, publish a run folder.

    Parameters
    ----------
    project
        A project under projects/ (default: the only one).
    raw
        Raw data folder (default: ROOT/data/raw/PROJECT).
    out
        Outputs folder (default: ROOT/outputs).
    wait
        Seconds to wait for another run of the project to finish (default: refuse at once).
    force
        Redo every step, even those whose inputs did not change.
    prefect
        Run as a Prefect flow on the local server (started on first use; its UI shows the run).
    port
        Port of the local Prefect server (default: PREFECT_PORT or 4200).
    """
    from infopipe.run import progress

    from infopipe.run.pipeline import call, run as run_pipeline, up_to_date

    paths = _paths(project, raw, out)
    with progress.Display() as display:
        current = up_to_date(paths) if prefect and not force else None
        if current is not None:  # decided before paying for Prefect: no flow run, no server needed
            print(f"Up to date: nothing changed since run {current.name}, so no Prefect flow run was made")
            folder = current
        elif prefect:
            folder = Path(_run_flow(port, project=paths.project, root=str(paths.root),
                                    raw=raw and str(raw), out=out and str(out), wait=wait, force=force))
        else:
            folder = run_pipeline(paths, step=progress.wrap(call), lock_wait=wait, force=force)
        display.summary(folder)
    _warn_stale(folder, paths.spec_file)
    print(f"Outputs: {folder}")
    print(f"Gallery: {folder / 'index.html'}")  # what a designer opens first (the review page is beside it)
    return 0


def _warn_stale(folder: Path, spec_file: Path) -> None:
    """Say each accepted difference that no longer differs (from the run's own figures.json)."""
    from infopipe.concepts.verdicts import stale_differences

    record = json.loads((Path(folder) / "figures.json").read_text(encoding="utf-8"))
    for warning in stale_differences(str(spec_file), record["figures"]):
        print(f"WARNING {warning}", file=sys.stderr)


@app.command(name="build-all")
def build_all(*projects: str, prefect: bool = False, parallel: int = 1, wait: float | None = None,
              port: int | None = None) -> int:
    """Build several projects (default: every project under projects/).

    Parameters
    ----------
    projects
        Projects to build (default: all).
    prefect
        Run as the Prefect flow `build-all`, one subflow per project.
    parallel
        How many projects to build at once (without --prefect: each in its own worker process).
    wait
        Seconds each project waits for another run of it (default: refuse without Prefect, queue with it).
    port
        Port of the local Prefect server (default: PREFECT_PORT or 4200).
    """
    from infopipe.run import progress
    from infopipe.run.pipeline import project_names

    names = list(projects) or project_names(OPTIONS.root)
    if not names:
        resolve_project(None)  # raises the 'no project' error
    if prefect:
        with progress.Display():
            done = _run_flow(port, flow="build_all", projects=names, root=str(OPTIONS.root.resolve()),
                             parallel=parallel, wait=wait)
        for name in names:
            print(f"Outputs: {done[name]}")
        return 0
    if parallel > 1:
        from infopipe.run.many import build_each

        outcomes = build_each(OPTIONS.root.resolve(), names, parallel, wait or 0)
    else:
        outcomes = _build_in_turn(names, wait or 0)
    failed = []
    for name, outcome in outcomes:
        if isinstance(outcome, InfopipeError):
            print(outcome, file=sys.stderr)
            failed.append(Problem(name, "project-failed", str(outcome).splitlines()[0]))
        else:
            print(f"Outputs: {outcome}")
    if failed:
        raise InfopipeError("build-all", failed)
    return 0


def _build_in_turn(names: list[str], wait: float):
    """(project, its run folder or its error), one project after another in this process."""
    from infopipe.run import progress
    from infopipe.run.pipeline import call, run as run_pipeline

    with progress.Display() as display:
        for name in names:
            display.message(f"[bold]{name}[/]")
            try:
                yield name, run_pipeline(_paths(name), step=progress.wrap(call), lock_wait=wait)
            except InfopipeError as err:
                yield name, err


@app.command
def validate(project: str | None = None, /, *, raw: Path | None = None) -> int:
    """Check the spec and raw data; write nothing.

    Parameters
    ----------
    project
        A project under projects/ (default: the only one).
    raw
        Raw data folder (default: ROOT/data/raw/PROJECT).
    """
    from infopipe.run.pipeline import validate_only

    from infopipe.concepts.verdicts import stale_differences

    result = validate_only(_paths(project, raw))
    for warning in stale_differences(result["spec"], result["figures"]):
        print(f"WARNING {warning}", file=sys.stderr)
    for ds in result["datasets"]:
        print(f"ok  {ds['file']}: {ds['rows']} rows")
    print(f"Valid: {result['spec']} and {len(result['datasets'])} datasets")
    return 0


@app.command
def status(project: str | None = None, /, *, json_: Annotated[bool, Parameter(name="--json")] = False) -> int:
    """What is up to date and what is stale, and why.

    Parameters
    ----------
    project
        A project under projects/ (default: the only one).
    """
    from infopipe.run.pipeline import status as project_status

    result = project_status(_paths(project))
    if json_:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(f"{result['project']}: latest run {result['latest'] or '(none)'}; "
          + ("up to date: a run now would build nothing" if result["up_to_date"] else "a run now would rebuild:"))
    for kind, items in (("dataset", result["datasets"]), ("figure", result["figures"])):
        for item in items:
            print(f"  {'stale' if item['stale'] else 'ok   '}  {kind} {item[kind]}: {item['why']}")
    return 0


@app.command
def schema() -> int:
    """Print the JSON Schema of spec.yaml (for editors and validation)."""
    from infopipe.spec.schema import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0


@app.command
def new(project: str, /, *, from_: Annotated[Path | None, Parameter(name="--from")] = None,
        pages: str | None = None) -> int:
    """Create a new project: a spec to fill in and its raw data folder.

    Usage: infopipe new NAME [--from REPORT.pdf --pages N[-M]].

    Parameters
    ----------
    project
        The new project's name (lower-case letters, digits, - and _).
    from_
        A published report (PDF) to draft the figures from: one per number printed on the pages.
    pages
        With --from, the pages to draft from, e.g. 2 or "2, 5-6".
    """
    from infopipe.spec.scaffold import new_project

    figures = report = None
    if from_ is not None:
        figures, report = _draft(from_, pages)
    for path in new_project(OPTIONS.root, project, figures, report):
        print(f"Created: {path}")
    if from_ is not None:
        print(f"Next: write each figure's rule (marked TO WRITE) in projects/{project}/spec.yaml; "
              f"infopipe validate {project} names each one still to write")
    else:
        print(f"Next: infopipe validate {project} ; infopipe run {project}")
    return 0


def _draft(pdf: Path, pages: str | None) -> tuple[str, str]:
    """The figures block drafted from a report's pages, and the spec's `report` block naming it."""
    from infopipe.coverage import draft_figures
    from infopipe.data.published import read_pages
    from infopipe.spec.model import parse_pages

    try:
        wanted = parse_pages(pages) if pages is not None else None
    except ValueError as err:
        raise InfopipeError("usage", [Problem("--pages", "bad-pages", str(err))]) from None
    if wanted is None:
        raise InfopipeError("usage", [Problem("--pages", "bad-pages", "with --from, name the pages to draft "
                                              "from, e.g. --pages 2 or --pages \"2, 5-6\"")])
    figures = draft_figures(read_pages(pdf, wanted, str(pdf)))
    where = Path(os.path.relpath(os.path.abspath(pdf), os.path.abspath(OPTIONS.root))).as_posix()
    shown = ", ".join(str(p) for p in wanted)
    report = (f"# The published report the figures come from; `infopipe coverage` checks that every number\n"
              f"# printed on these pages is a figure above or excluded here with its reason.\n"
              f"report:\n  file: {json.dumps(where)}\n  pages: \"{shown}\"\n  exclude: []   # e.g. "
              f"- {{pattern: '^\\d+$', reason: the page number}}\n")
    return figures, report


# --- reviewing ----------------------------------------------------------------------------------

@app.command
def verify(*args: str, rerun: bool = False,
           project: Annotated[str | None, Parameter(show=False)] = None) -> int:
    """Re-hash a run's inputs, spec and outputs and check the log's hash chain.

    Usage: infopipe verify [PROJECT] [RUN] [--rerun]. One argument is the project when a project has
    that name, else a run of the only project.

    Parameters
    ----------
    args
        [PROJECT] [RUN] (default run: latest).
    rerun
        Also rebuild the run from its own inputs in a temp folder and compare bytes.
    """
    from infopipe.review import chain_head, changed_since, verify as verify_run
    from infopipe.run.pipeline import project_names

    if len(args) > (1 if project else 2):
        raise _usage("[PROJECT] [RUN]", len(args))
    if project or len(args) != 1:  # --project (kept for old scripts) or PROJECT RUN or nothing
        given, run_id = (project, *args, None)[:2] if project else (*args, None, None)[:2]
    elif args[0] in project_names(OPTIONS.root):
        given, run_id = args[0], None
    else:
        given, run_id = None, args[0]
    paths = _paths(given)
    folder, problems = verify_run(paths, run_id, rerun)
    for problem in problems:
        print(f"FAIL {problem}")
    checked = "chain, log entry, record, every file of the run" + (", rerun" if rerun else "")
    print(f"{'FAILED' if problems else 'OK'}: run {folder.name} ({checked}); {len(problems)} problems")
    for note in changed_since(paths, folder):
        print(f"NOTE {note}")
    print(f"log head: {chain_head(paths)}  (record it elsewhere; a later verify can compare)")
    return 1 if problems else 0


@app.command
def explain(*args: str, run: str | None = None, json_: Annotated[bool, Parameter(name="--json")] = False,
            limit: int | None = None, offset: int | None = None,
            project: Annotated[str | None, Parameter(show=False)] = None) -> int:
    """Show how one figure was counted, record by record.

    Usage: infopipe explain [PROJECT] FIGURE [--run RUN] [--json] [--limit N] [--offset N].

    Parameters
    ----------
    args
        [PROJECT] FIGURE.
    run
        Run id (default: latest).
    limit
        Show at most this many records.
    offset
        Skip this many records first.
    """
    from infopipe.review import explain as explain_figure, explain_text

    given, (figure,) = _split(args, 1, "FIGURE")
    info = explain_figure(_paths(given or project), figure, run, 50 if limit is None else limit, offset or 0)
    print(json.dumps(info, indent=2, ensure_ascii=False, default=str) if json_ else explain_text(info))
    return 0


@app.command
def diff(*args: str, json_: Annotated[bool, Parameter(name="--json")] = False,
         project: Annotated[str | None, Parameter(show=False)] = None) -> int:
    """Figures, records and input files that changed between two runs.

    Usage: infopipe diff [PROJECT] RUN_A RUN_B [--json]. A run is its id, `latest` or `previous`
    (the run before latest); with no runs named, `previous latest`.

    Parameters
    ----------
    args
        [PROJECT] RUN_A RUN_B.
    """
    from infopipe.review import diff as diff_runs, diff_text
    from infopipe.run.pipeline import project_names

    if len(args) <= 1 and (not args or args[0] in project_names(OPTIONS.root)):
        given, (run_a, run_b) = (args[0] if args else None), ("previous", "latest")
    else:
        given, (run_a, run_b) = _split(args, 2, "RUN_A RUN_B")
    result = diff_runs(_paths(given or project), run_a, run_b)
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str) if json_ else diff_text(result))
    return 0


@app.command
def coverage(project: str | None = None, /, *, pdf: Path | None = None, pages: str | None = None,
             json_: Annotated[bool, Parameter(name="--json")] = False, out: Path | None = None) -> int:
    """Is every number the published report printed covered by a figure, the spec's own words or
    an exclusion? Exit 1 when one is not.

    Usage: infopipe coverage [PROJECT] [--pdf REPORT.pdf] [--pages N[-M]] [--json] [--out FILE].

    Parameters
    ----------
    project
        A project under projects/ (default: the only one).
    pdf
        The published report (default: the spec's report.file).
    pages
        The pages to check, e.g. 2 or "2, 5-6" (default: the spec's report.pages).
    out
        Where to write coverage.json (default: outputs/PROJECT/coverage.json).
    """
    from infopipe.coverage import coverage_text
    from infopipe.review import coverage as check
    from infopipe.run.provenance import write_json
    from infopipe.spec.model import parse_pages

    try:
        wanted = parse_pages(pages) if pages is not None else ()
    except ValueError as err:
        raise InfopipeError("usage", [Problem("--pages", "bad-pages", str(err))]) from None
    paths = _paths(project)
    result = check(paths, pdf, wanted)
    target = out or paths.project_out / "coverage.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_json(target, result)
    print(json.dumps(result, indent=2, ensure_ascii=False) if json_ else coverage_text(result))
    if not json_:
        print(f"Written: {target}")
    return 0 if result["ok"] else 1


# --- schedules ----------------------------------------------------------------------------------

@app.command
def schedule(project: str | None = None, /, *, cron: str | None = None, pool: str = "infopipe",
             name: str | None = None, port: int | None = None, notify: str | None = None) -> int:
    """Create or update a deployment of the flow on a process work pool; a worker runs it.

    After this, `prefect worker start --pool POOL` (here, or on any machine that sees the project
    folder at the same path and reaches the server) runs the scheduled builds.

    Parameters
    ----------
    project
        A project under projects/ (default: the only one).
    cron
        When to build, as a cron line such as "0 6 * * *" (default: no schedule; run it by hand).
    pool
        Work pool name (a process pool; created if missing).
    name
        Deployment name (default: the project's name).
    port
        Port of the local Prefect server (default: PREFECT_PORT or 4200).
    notify
        A URL that gets a JSON POST whenever a run of this deployment fails (a Prefect automation
        calling a webhook; Slack, Teams and most chat tools accept one).
    """
    paths = _paths(project)
    if notify is not None and not notify.startswith(("http://", "https://")):
        raise InfopipeError("schedule", [Problem("--notify", "bad-url", f"{notify!r} is not a web address "
                            "(http:// or https://)")])
    api_url = _connect(port)
    with _prefect(api_url) as flows:
        _check_cron(cron)
        deployment = flows.deploy(paths.project, paths.root, pool, cron, name)
        automation = flows.notify_on_failure(deployment, notify) if notify else None
    when = f"on cron {cron!r}" if cron else "with no schedule (run it from the UI or `prefect deployment run`)"
    print(f"Deployment {deployment} on work pool {pool!r}, {when}.")
    if automation:
        print(f"Failed runs POST to {notify} (automation {automation!r}).")
    prefect = worker_command(api_url)
    print(f"Start a worker:  {prefect} worker start --pool {pool}")
    print(f"Run it now:      {prefect} deployment run '{deployment}'")
    return 0


def worker_command(api_url: str) -> str:
    """The `prefect` command as it works from a fresh shell: from this checkout's folder, with the
    server's address and this environment's own prefect (a fresh shell has no venv on its PATH)."""
    import shlex

    exe = Path(sys.executable).parent / "prefect"
    prefect = shlex.quote(str(exe)) if exe.is_file() else f"{shlex.quote(sys.executable)} -m prefect"
    return f"cd {shlex.quote(str(CODE_ROOT))} && PREFECT_API_URL={api_url} {prefect}"


@app.command
def serve(project: str | None = None, /, *, cron: str | None = None, name: str | None = None,
          port: int | None = None) -> int:
    """Keep running and build on a schedule, from this process on this machine (no pool, no worker).

    Parameters
    ----------
    project
        A project under projects/ (default: the only one).
    cron
        When to build, as a cron line such as "0 6 * * *" (default: only when triggered).
    name
        Deployment name (default: PROJECT-served).
    port
        Port of the local Prefect server (default: PREFECT_PORT or 4200).
    """
    paths = _paths(project)
    api_url = _connect(port)
    with _prefect(api_url) as flows:
        _check_cron(cron)
        print(f"Serving build-infographic/{name or paths.project + '-served'}; stop with Ctrl-C")
        flows.serve(paths.project, paths.root, cron, name)
    return 0


# --- the local Prefect server ---------------------------------------------------------------------

@server_app.command(name="start")
def server_start(*, port: int | None = None, timeout: float = 120) -> int:
    """Start the local Prefect server in the background (or reuse the running one).

    Parameters
    ----------
    port
        Port (default: PREFECT_PORT or 4200).
    timeout
        Seconds to wait for its API to answer.
    """
    from infopipe.run import prefect_server

    server = _local_server(port)
    how = prefect_server.ensure(server, timeout)
    print(f"Prefect server {how} at {server.url} (home {server.home}); stop it with `make stop`")
    return 0


@server_app.command(name="stop")
def server_stop(*, port: int | None = None) -> int:
    """Stop the local Prefect server that `server start` or `make run` started.

    Parameters
    ----------
    port
        Port (default: PREFECT_PORT or 4200).
    """
    from infopipe.run import prefect_server

    server = _local_server(port)
    print("Prefect server stopped" if prefect_server.stop(server) else f"No Prefect server started from {server.home}")
    return 0


@server_app.command(name="status")
def server_status(*, port: int | None = None) -> int:
    """Say whether the local Prefect server answers, and where its home, pid and log are.

    Parameters
    ----------
    port
        Port (default: PREFECT_PORT or 4200).
    """
    from infopipe.run import prefect_server

    info = prefect_server.status(_local_server(port))
    if info["healthy"] and not info["started_here"]:
        print(f"Prefect server at {info['url']}: answering, but not started by this checkout (its home "
              f"would be {info['home']}); set PREFECT_PORT to another port for this checkout's own server")
        return 1
    state = "answering" if info["healthy"] else "not answering"
    print(f"Prefect server at {info['url']}: {state}; pid {info['pid'] or '-'}; home {info['home']}; "
          f"log {info['log']}")
    return 0 if info["healthy"] else 1


# --- Prefect plumbing ---------------------------------------------------------------------------

def _local_server(port: int | None):
    from infopipe.run import prefect_server

    return prefect_server.local_server(CODE_ROOT, port)  # home: PREFECT_HOME or CODE_ROOT/.prefect


def _connect(port: int | None) -> str:
    """The API to use: PREFECT_API_URL if set, else the local server (started on first use). Sets
    PREFECT_API_URL and PREFECT_HOME for this process and its children, before Prefect is imported."""
    from infopipe.run import prefect_server

    if os.environ.get("PREFECT_API_URL"):
        api_url = os.environ["PREFECT_API_URL"].rstrip("/")
        prefect_server.check_api(api_url)
        print(f"Prefect API: {api_url}")
        return api_url
    server = _local_server(port)
    os.environ["PREFECT_HOME"] = str(server.home)
    if not prefect_server.healthy(server):
        print(f"Starting the Prefect server at {server.url} (first use; up to a minute when cold)")
    prefect_server.ensure(server)
    os.environ["PREFECT_API_URL"] = server.api_url
    print(f"Prefect UI: {server.url}")
    return server.api_url


def _flows():
    """The Prefect flows (infopipe.run.flow), imported only by the commands that use Prefect."""
    from infopipe.run import flow

    return flow


@contextmanager
def _prefect(api_url: str, in_process: bool = False):
    """The flows module, with Prefect pointed at `api_url` even if Prefect was imported earlier.

    `in_process`: the flow runs here, watched by the person at the terminal, so no flow-run heartbeat
    (it exists to notice crashed runs on workers, and waiting for its thread to end cost ~0.5 s a run)."""
    flows = _flows()
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    updates = {PREFECT_API_URL: api_url, **({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None} if in_process else {})}
    with temporary_settings(updates=updates):
        yield flows


def _run_flow(port: int | None, flow: str = "build_infographic", **parameters):
    """Run a flow in this process against the server; its result, or its error re-raised."""
    api_url = _connect(port)
    # Prefect's console log would repeat each error with a traceback; the server keeps every log line.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    with _prefect(api_url, in_process=True) as flows:
        state = getattr(flows, flow)(**parameters, return_state=True)
    if api_url.endswith("/api") and state.state_details.flow_run_id:
        print(f"Prefect run: {api_url[:-4]}/runs/flow-run/{state.state_details.flow_run_id}")
    return state.result()  # raises the flow's error (InfopipeError for bad input)


def _check_cron(cron: str | None) -> None:
    if cron is None:
        return
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron)
    except ValueError:
        raise InfopipeError("schedule", [Problem("--cron", "bad-cron", f"{cron!r} is not a cron line (five "
                            "fields: minute hour day-of-month month day-of-week, e.g. '0 6 * * *')")]) from None


if __name__ == "__main__":
    sys.exit(main())
