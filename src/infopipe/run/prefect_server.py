"""A local Prefect server that stays: started in the background on first use, reused after, stopped
by `make stop`. Without it every Prefect flow run would start (and throw away) a temporary server.

The server runs `prefect server start` in its own session (process group), writes its pid to
PREFECT_HOME/server.pid (the file `prefect server stop` also reads) and logs to PREFECT_HOME/server.log.
Nothing here imports Prefect, so the plain CLI stays fast and works with no server at all.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from infopipe.errors import InfopipeError, Problem

HOST = "127.0.0.1"
DEFAULT_PORT = 4200
PID_FILE = "server.pid"  # the name Prefect's own `prefect server stop` looks for
IDENTITY_FILE = "server.identity.json"  # which process that pid was: command line, home, start time
LOG_FILE = "server.log"
START_TIMEOUT = 120.0  # a cold start builds the database first: about 20 s measured here


@dataclass(frozen=True)
class Server:
    """Where the local server lives: its Prefect home (database, pid, log) and its address."""

    home: Path
    port: int = DEFAULT_PORT
    host: str = HOST

    @property
    def url(self) -> str:
        """The UI address."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    @property
    def pid_file(self) -> Path:
        return self.home / PID_FILE

    @property
    def log_file(self) -> Path:
        return self.home / LOG_FILE

    @property
    def identity_file(self) -> Path:
        return self.home / IDENTITY_FILE


def code_root() -> Path:
    """The checkout infopipe runs from (where .prefect/ and flows/ are), or the current folder when
    infopipe is installed as a package (nothing is ever written inside site-packages)."""
    checkout = Path(__file__).resolve().parents[3]
    return checkout if (checkout / "pyproject.toml").is_file() and (checkout / "flows").is_dir() else Path.cwd()


def local_server(root: Path = Path("."), port: int | None = None) -> Server:
    """The server for this checkout: PREFECT_HOME (default ROOT/.prefect), port PREFECT_PORT or 4200."""
    home = Path(os.environ.get("PREFECT_HOME") or Path(root) / ".prefect").resolve()
    if port is None:
        text = os.environ.get("PREFECT_PORT", str(DEFAULT_PORT))
        if not text.isdigit() or not 0 < int(text) < 65536:
            raise InfopipeError("server", [Problem("PREFECT_PORT", "bad-port", f"{text!r} is not a port number")])
        port = int(text)
    return Server(home, port)


def healthy(server: Server, timeout: float = 1.0) -> bool:
    """True when a Prefect API answers on the server's address."""
    try:
        with urllib.request.urlopen(f"{server.api_url}/health", timeout=timeout) as reply:
            return reply.status == 200 and reply.read().strip() == b"true"
    except (OSError, urllib.error.URLError, ValueError):
        return False


def check_api(api_url: str, timeout: float = 5.0) -> None:
    """A given PREFECT_API_URL must answer before anything is sent to it: one clear line if not."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as reply:
            if reply.status == 200:
                return
            why = f"it answered HTTP {reply.status}"
    except urllib.error.HTTPError as err:
        why = f"it answered HTTP {err.code}"
    except (OSError, urllib.error.URLError, ValueError) as err:
        why = f"{getattr(err, 'reason', None) or err}"
    raise InfopipeError("server", [Problem(api_url, "api-unreachable", f"PREFECT_API_URL does not answer "
                        f"({why}): start that server, fix the address, or unset PREFECT_API_URL to use "
                        "the local server")])


def port_in_use(server: Server) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((server.host, server.port)) == 0


def free_port(host: str = HOST) -> int:
    """A port nothing listens on now (for tests and a second checkout)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def recorded_pid(server: Server) -> int | None:
    """The pid in the pid file if that process is still the server this home started (same command
    line, same PREFECT_HOME, same start time), else None, and the stale files are removed: a pid
    reused by another program, even another Prefect server, is never taken for ours."""
    try:
        pid = int(server.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if not _alive(pid) or not _same_process(server, pid):
        server.pid_file.unlink(missing_ok=True)
        server.identity_file.unlink(missing_ok=True)
        return None
    return pid


def identity(pid: int) -> dict | None:
    """What tells one process from any later one with the same pid (Linux /proc): its command line,
    its PREFECT_HOME and its start time in clock ticks since boot."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        started = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except (OSError, IndexError):
        return None
    home = next((e[len(b"PREFECT_HOME="):] for e in environ if e.startswith(b"PREFECT_HOME=")), b"")
    if not any(cmdline):
        return None  # not readable yet (or a kernel thread): never an identity to match
    return {"pid": pid, "cmdline": [a.decode(errors="replace") for a in cmdline if a],
            "prefect_home": home.decode(errors="replace"), "started": started}


def _same_process(server: Server, pid: int) -> bool:
    try:
        recorded = json.loads(server.identity_file.read_text())
    except (OSError, ValueError):
        return False  # no record of what we started: never assume
    now = identity(pid)
    return now is not None and now == recorded and now["prefect_home"] == str(server.home)


def ensure(server: Server, timeout: float = START_TIMEOUT, ui: bool = True) -> str:
    """Make sure a server answers on the address; start one if nothing does. Returns what happened:
    'running' (reused) or 'started'. Raises InfopipeError with the reason when it cannot."""
    if healthy(server) and started_here(server):
        return "running"
    with _start_lock(server):
        pid = started_here(server)
        if pid is not None:  # ours, still starting (or stuck): wait for it within the same bound
            _wait_healthy(server, pid, timeout)
            return "running"
        if healthy(server):
            raise not_ours(server)
        if port_in_use(server):
            raise _problem(server, "port-in-use", f"port {server.port} is in use by something that is not "
                           f"a Prefect server; set PREFECT_PORT to another port")
        start(server, timeout, ui)
        return "started"


def started_here(server: Server) -> int | None:
    """The pid of the server this checkout started (its home's pid file and recorded identity) on
    this server's port, or None. Only that one is reused: a server another checkout started on the
    same port answers health checks too, but keeps its own database, flows and outputs' paths."""
    pid = recorded_pid(server)
    if pid is None:
        return None
    command = (identity(pid) or {}).get("cmdline", [])
    return pid if str(server.port) in command else None


def not_ours(server: Server) -> InfopipeError:
    return _problem(server, "server-not-ours", f"a Prefect server answers at {server.url}, but this "
                    f"checkout did not start it (no server of {server.home} on port {server.port}): "
                    f"set PREFECT_PORT to a free port to start this checkout's own, or "
                    f"PREFECT_API_URL={server.api_url} to use that one on purpose")


def start(server: Server, timeout: float = START_TIMEOUT, ui: bool = True, env: dict | None = None) -> int:
    """Start `prefect server start` detached, in its own process group; wait until /api/health answers.

    `env` adds settings (such as PREFECT_API_DATABASE_CONNECTION_URL for PostgreSQL). Concurrency
    leases are kept in files under PREFECT_HOME, not in the server's memory, so a project's slot held
    by a run is still known (and still expires if its holder died) after the server restarts."""
    server.home.mkdir(parents=True, exist_ok=True)
    env = {"PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect.server.concurrency.lease_storage.filesystem",
           **os.environ, **(env or {}),
           "PREFECT_HOME": str(server.home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_SERVER_UI_ENABLED": str(ui).lower(), "PREFECT_UI_ENABLED": str(ui).lower(),
           # the UI in the browser calls this address; by default it assumes port 4200
           "PREFECT_SERVER_UI_API_URL": server.api_url, "PREFECT_UI_API_URL": server.api_url}
    env.pop("PREFECT_API_URL", None)
    with open(server.log_file, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", server.host,
             "--port", str(server.port)],
            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=server.home)
    server.pid_file.write_text(f"{proc.pid}\n")
    try:
        _wait_healthy(server, proc.pid, timeout, proc)
        # recorded once it answers: just after the fork, /proc can still show an empty command line
        server.identity_file.write_text(json.dumps(identity(proc.pid)))
    except BaseException:
        _kill_group(proc.pid)
        server.pid_file.unlink(missing_ok=True)
        server.identity_file.unlink(missing_ok=True)
        raise
    return proc.pid


def stop(server: Server, grace: float = 10.0) -> bool:
    """End the server started for this home (its whole process group). False if none was running."""
    pid = recorded_pid(server)
    server.pid_file.unlink(missing_ok=True)
    server.identity_file.unlink(missing_ok=True)
    if pid is None:
        return False
    _kill_group(pid, grace)
    return True


def status(server: Server) -> dict:
    pid = started_here(server)
    return {"url": server.url, "api_url": server.api_url, "home": str(server.home), "pid": pid,
            "healthy": healthy(server), "started_here": pid is not None, "log": str(server.log_file)}


def _wait_healthy(server: Server, pid: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if healthy(server):
            return
        if (proc is not None and proc.poll() is not None) or not _alive(pid):
            raise _problem(server, "server-exited", f"the Prefect server (pid {pid}) exited while starting: "
                           f"{_log_tail(server)}")
        time.sleep(0.25)
    raise _problem(server, "server-timeout", f"the Prefect server (pid {pid}) did not answer "
                   f"{server.api_url}/health within {timeout:.0f} s; see {server.log_file}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child counts as gone
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _kill_group(pid: int, grace: float = 10.0) -> None:
    """SIGTERM the process group the server leads, then SIGKILL what is left after `grace` seconds.
    Only a group the server leads (it was started in its own session): never the caller's own."""
    try:
        if os.getpgid(pid) != pid or os.getpgid(pid) == os.getpgrp():
            return
    except ProcessLookupError:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
            except ChildProcessError:
                pass
            if not _alive(pid) and not _group_members(pid):
                return  # the whole group, not only its leader: a child could still hold the port
            time.sleep(0.1)


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in a process group, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _log_tail(server: Server, lines: int = 5) -> str:
    try:
        text = server.log_file.read_text(errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return "(no log)"
    return " | ".join(line.strip() for line in text if line.strip()) or "(empty log)"


def _problem(server: Server, check: str, message: str) -> InfopipeError:
    return InfopipeError("server", [Problem(server.url, check, message)])


@contextmanager
def _start_lock(server: Server):
    """Two `make run`s at once must not both start a server: the second waits, then reuses."""
    server.home.mkdir(parents=True, exist_ok=True)
    with open(server.home / "server.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
