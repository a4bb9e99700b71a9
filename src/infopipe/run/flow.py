"""Prefect flows for infopipe: `build-infographic` (one project) and `build-all` (many).

Each pipeline step runs as a Prefect task, one run per project at a time across every machine (a
Prefect global concurrency limit `infopipe-<project>`), and each run publishes two artifacts keyed by
project so they version across runs. Part of the package, so `infopipe run --prefect` works from any
install; flows/build_infographic.py is the few-line entry point that deployments and `make run` name.

    infopipe run PROJECT --prefect                          # this flow on the local server
    infopipe schedule PROJECT --cron "0 6 * * *"            # a deployment on a process work pool
    infopipe serve PROJECT --cron "0 6 * * *"               # one process on this machine
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from infopipe.run.prefect_server import code_root

ROOT = code_root()
ENTRYPOINT = "flows/build_infographic.py:build_infographic"  # the deployment's entry point, in ROOT
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))  # never the user's home
os.environ.setdefault("DO_NOT_TRACK", "1")  # Prefect's SDK telemetry: no network but the server's
# Only used when no server is configured; a cold temporary server needs ~18 s, Prefect waits 20 s.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

from prefect import flow, get_run_logger, task  # noqa: E402  (PREFECT_HOME must be set before Prefect loads)
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact  # noqa: E402
from prefect.cache_policies import NONE  # noqa: E402
from prefect.client.orchestration import get_client  # noqa: E402
from prefect.concurrency.sync import concurrency  # noqa: E402
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound  # noqa: E402
from prefect.utilities.annotations import quote  # noqa: E402

from infopipe.errors import InfopipeError, Problem  # noqa: E402
from infopipe.run import progress  # noqa: E402
from infopipe.run.pipeline import Paths, project_names, run  # noqa: E402
from infopipe.run.steps import STEPS, Step  # noqa: E402
from infopipe.run.publish import latest_run  # noqa: E402

LOCK_WAIT = 3600.0  # how long a queued flow run waits for a plain CLI run holding the project's flock
# A run holds its project's slot under a lease it renews while alive; if its worker dies, the server
# frees the slot when the lease runs out (Prefect's repossessor), so a slot is never held forever.
SLOT_LEASE_SECONDS = float(os.environ.get("INFOPIPE_SLOT_LEASE_SECONDS", "300"))
SLOT_HELD, SLOT_RELEASED = "holding concurrency slot", "releasing concurrency slot"  # logged; the test reads them


# --- the run's log: bad input in one line per problem, not a traceback ---------------------------

class ProblemsNotTracebacks(logging.Filter):
    """On Prefect's flow-run and task-run loggers: a record carrying an InfopipeError (bad input,
    already located) says its problems, one line each, instead of the task engine's traceback. A
    reviewer opening a failed run in the UI reads what to fix. Other errors keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        err = record.exc_info[1] if record.exc_info else None
        if isinstance(err, InfopipeError):
            record.msg, record.args = str(err), ()
            record.exc_info, record.exc_text = None, None
        return True


for _name in ("prefect.flow_runs", "prefect.task_runs"):
    if not any(isinstance(f, ProblemsNotTracebacks) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(ProblemsNotTracebacks())


# --- tasks ---------------------------------------------------------------------------------------

def task_hook(root: Path, steps: dict[str, Step] = STEPS):
    """The `step` hook for pipeline.run: each declared step becomes a Prefect task, with the time
    limit, retries and caching its declaration gives (run/steps.py).

    With a `key` (from the plan: the keys of the units the step makes, offered only while all of
    them are on disk) the task is cached on that key and its result persisted under ROOT/.prefect/results,
    so any worker that sees the project folder can reuse it. Without one, nothing is cached and
    nothing is hashed (never DataFrames)."""
    storage = Path(root) / ".prefect" / "results"  # Prefect reads a Path as local file storage

    def step(name, fn, *args, key: str | None = None, **kwargs):
        declared = steps[name]
        options: dict = {"name": name, "timeout_seconds": declared.timeout, "retries": declared.retries}
        if declared.retries:
            options.update(retry_delay_seconds=1, retry_condition_fn=worth_retrying(declared))
        if key is None:
            options.update(cache_policy=NONE)
        else:
            options.update(cache_key_fn=lambda *_: f"infopipe-{name}-{key}", persist_result=True,
                           result_storage=storage)
        return task(fn, **options)(*(quote(a) for a in args), **kwargs)

    return step


def worth_retrying(declared: Step):
    """Retry what the machine broke (a render the clock stopped); never what bad input broke."""
    def condition(task_, task_run, state) -> bool:
        err = state.data if isinstance(state.data, BaseException) else None
        if isinstance(err, InfopipeError):
            return any(p.check in declared.retry_on for p in err.problems)
        return True
    return condition


# --- one run per project, on any machine --------------------------------------------------------

def limit_name(project: str) -> str:
    return f"infopipe-{project}"


def ensure_limit(name: str) -> None:
    """Create the one-slot global concurrency limit if this server does not have it yet."""
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
            except ObjectAlreadyExists:
                pass  # another run created it first


def project_slot(project: str, wait: float | None):
    """Hold the project's slot; wait `wait` seconds for it (None: as long as it takes)."""
    name = limit_name(project)
    ensure_limit(name)
    # a timeout raises TimeoutError on entry; the flow turns it into the CLI's 'locked' error
    return concurrency(name, occupy=1, strict=True, timeout_seconds=None if wait is None else max(wait, 0.5),
                       lease_duration=SLOT_LEASE_SECONDS)


def _locked(name: str) -> InfopipeError:
    return InfopipeError("lock", [Problem(f"Prefect concurrency limit {name}", "locked",
                         "another run of this project is in progress; wait for it to finish, "
                         "or pass --wait SECONDS")])


# --- artifacts ----------------------------------------------------------------------------------

def artifact_key(project: str, kind: str) -> str:
    """Artifact keys allow lower-case letters, digits and dashes only."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", f"infopipe-{project}-{kind}".lower())).strip("-")


def run_markdown(project: str, folder: Path, root: Path, up_to_date: bool = False) -> str:
    from infopipe.concepts.verdicts import summary

    figures = json.loads((folder / "figures.json").read_text(encoding="utf-8"))["figures"]
    verify = f"infopipe --root {root} verify {project} {folder.name}"
    state = ("**Up to date**: nothing changed since this run (spec, raw files, code, renderers), so "
             "nothing was rebuilt and its outputs are still current.\n\n" if up_to_date else "")
    return "\n".join([
        f"# {project}: run `{folder.name}`",
        "",
        state + f"**{summary(figures)}**",
        "",
        f"- **Run folder**: `{folder}`",
        f"- **Gallery**: `{folder / 'index.html'}`",
        f"- **Page image**: `{folder / 'page.png'}`",
        f"- **Review page**: `{folder / 'report.html'}`",
        "",
        "Check it (hash chain, record, outputs, inputs; add `--rerun` to rebuild and compare bytes):",
        "",
        f"```\n{verify}\n```",
    ])


def failure_markdown(project: str, err: BaseException) -> str:
    lines = [f"# {project}: run failed", "", f"`{str(err).splitlines()[0] if str(err) else type(err).__name__}`", ""]
    for p in getattr(err, "problems", [])[:20]:
        lines.append(f"- {str(p)}")
    lines += ["", "The project's provenance log has a `failed` entry for this run; `latest` did not move."]
    return "\n".join(lines)


def publish_artifacts(paths: Paths, folder: Path, up_to_date: bool = False) -> None:
    """The figures table, the run's summary (saying so when the run was up to date) and links to
    the review page and the gallery, each under a key of its own per project."""
    rows = progress.figure_rows(folder)
    create_table_artifact(table=rows, key=artifact_key(paths.project, "figures"),
                          description=f"{paths.project}: figures of run {folder.name}")
    create_markdown_artifact(markdown=run_markdown(paths.project, folder, paths.root, up_to_date),
                             key=artifact_key(paths.project, "run"),
                             description=f"{paths.project}: where run {folder.name} is and how to check it"
                             + (" (up to date: nothing rebuilt)" if up_to_date else ""))
    for kind, name, text in (("review", "report.html", "review page"), ("gallery", "index.html", "gallery")):
        create_link_artifact(link=(folder / name).as_uri(), link_text=f"{paths.project} {text} ({folder.name})",
                             key=artifact_key(paths.project, kind),
                             description=f"{paths.project}: the {text} of run {folder.name}")


# --- flows --------------------------------------------------------------------------------------

@flow(name="build-infographic", flow_run_name="{project}", log_prints=True)
def build_infographic(project: str, root: str | None = None, raw: str | None = None, out: str | None = None,
                      wait: float | None = None, force: bool = False) -> str:
    """Build one project's run; return its folder. `wait`: seconds to wait for another run of the same
    project (None: queue behind it as long as it takes; 0: refuse at once)."""
    paths = Paths.for_project(project, Path(root) if root else ROOT, raw and Path(raw), out and Path(out))
    logger = get_run_logger()
    try:
        with project_slot(project, wait):
            logger.info(f"{SLOT_HELD} {limit_name(project)}")
            before = latest_run(paths.project_out)
            try:
                folder = run(paths, step=progress.wrap(task_hook(paths.root)),
                             lock_wait=LOCK_WAIT if wait is None else wait, force=force)
            finally:
                logger.info(f"{SLOT_RELEASED} {limit_name(project)}")
    except InfopipeError as err:
        if err.step != "lock":
            create_markdown_artifact(markdown=failure_markdown(project, err),
                                     key=artifact_key(project, "run"), description=f"{project}: failed run")
        raise
    except TimeoutError as err:  # the concurrency slot was not free within `wait`
        raise _locked(limit_name(project)) from err
    up_to_date = before is not None and Path(folder).resolve() == before.resolve() and not force
    publish_artifacts(paths, folder, up_to_date)
    return str(folder)


@flow(name="build-all", log_prints=True)
def build_all(projects: list[str] | None = None, root: str | None = None, parallel: int = 1,
              wait: float | None = None) -> dict[str, str]:
    """Build every project under ROOT/projects (or the given ones) as subflows, `parallel` at a time.
    A failed project does not stop the others; the flow fails at the end, naming them."""
    base = Path(root) if root else ROOT
    names = projects or project_names(base)

    def one(name: str):
        return build_infographic(project=name, root=str(base), wait=wait, return_state=True)

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:  # each subflow in a copy of this context
        futures = {name: pool.submit(contextvars.copy_context().run, one, name) for name in names}
        states = {name: future.result() for name, future in futures.items()}
    done, failed = {}, []
    for name, state in states.items():
        if state.is_completed():
            done[name] = state.result()
        else:
            failed.append(Problem(name, "project-failed", state.message or "failed"))
    if failed:
        raise InfopipeError("build-all", failed)
    return done


# --- deployments --------------------------------------------------------------------------------

def ensure_pool(name: str) -> str:
    """A process work pool called `name`: 'exists' or 'created'."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
            return "exists"
        except ObjectNotFound:
            pass
        try:
            client.create_work_pool(WorkPoolCreate(name=name, type="process",
                                                   base_job_template=ProcessWorker.get_default_base_job_template()))
        except ObjectAlreadyExists:
            return "exists"
        return "created"


def deploy(project: str, root: Path, pool: str, cron: str | None = None, name: str | None = None) -> str:
    """Create or update the deployment `build-infographic/<name>` of this flow, loaded from this
    checkout's source, on a process work pool; `prefect worker start --pool POOL` runs it."""
    if not (ROOT / ENTRYPOINT.split(":")[0]).is_file():
        raise InfopipeError("schedule", [Problem(str(ROOT), "no-checkout", "a deployment loads the flow from "
                            f"an infopipe checkout ({ENTRYPOINT}); run `infopipe schedule` from one")])
    ensure_pool(pool)
    source = build_infographic.from_source(source=str(ROOT), entrypoint=ENTRYPOINT)
    source.deploy(name=name or project, work_pool_name=pool, cron=cron,
                  parameters={"project": project, "root": str(Path(root).resolve())},
                  description=f"Build the {project} infographic", tags=["infopipe", project],
                  print_next_steps=False, ignore_warnings=True)
    return f"build-infographic/{name or project}"


FAILED_EVENTS = ("prefect.flow-run.Failed", "prefect.flow-run.Crashed")
WEBHOOK_PAYLOAD = ('{"deployment": "{{ deployment.name }}", "flow_run": "{{ flow_run.name }}", '
                   '"flow_run_id": "{{ flow_run.id }}", "state": "{{ flow_run.state.name }}", '
                   '"message": {{ flow_run.state.message | tojson }}, "url": "{{ flow_run | ui_url }}"}')


def notify_on_failure(deployment: str, url: str) -> str:
    """A Prefect automation: every failed or crashed run of `deployment` (flow/name) POSTs a JSON
    note to `url` (a Webhook block the automation's CallWebhook action uses). Made again when run
    again, so the URL can change. Returns the automation's name."""
    from prefect.automations import Automation
    from prefect.blocks.webhook import Webhook
    from prefect.events.actions import CallWebhook
    from prefect.events.schemas.automations import EventTrigger, Posture

    with get_client(sync_client=True) as client:
        target = client.read_deployment_by_name(deployment)
    key = artifact_key(deployment.split("/", 1)[-1], "failed-webhook")
    block_id = Webhook(method="POST", url=url, headers={"Content-Type": "application/json"}).save(key, overwrite=True)
    name = f"infopipe: {deployment} failed"
    try:
        Automation.read(name=name).delete()
    except (ValueError, ObjectNotFound):
        pass  # none yet
    Automation(name=name, description=f"POST to the webhook '{key}' when a run of {deployment} fails",
               trigger=EventTrigger(expect=set(FAILED_EVENTS), posture=Posture.Reactive, threshold=1,
                                    match_related={"prefect.resource.id": f"prefect.deployment.{target.id}"}),
               actions=[CallWebhook(block_document_id=block_id, payload=WEBHOOK_PAYLOAD)]).create()
    return name


def serve(project: str, root: Path, cron: str | None = None, name: str | None = None) -> None:
    """Run scheduled builds from this process, on this machine only (no work pool, no worker)."""
    build_infographic.serve(name=name or f"{project}-served", cron=cron,
                            parameters={"project": project, "root": str(Path(root).resolve())})

