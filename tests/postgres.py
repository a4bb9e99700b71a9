"""A throwaway PostgreSQL cluster for tests: initdb in a temporary folder, listening only on
127.0.0.1 and a socket folder of its own, on a free port; stopped and deleted afterwards.

PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user (Debian's
package creates it) and every server command runs through `runuser`. Reused by any test that needs a
real database (the Prefect server here; database datasets later): see the `postgres` fixture in
conftest.py.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from infopipe.run.prefect_server import free_port

HOST = "127.0.0.1"


def server_bin() -> Path | None:
    """The folder of initdb and pg_ctl (Debian keeps them under /usr/lib/postgresql/<version>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class Cluster:
    base: Path
    bin: Path
    port: int
    user: str = "postgres"

    @property
    def data(self) -> Path:
        return self.base / "data"

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{self.user}@{HOST}:{self.port}/{database}"

    def command(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", self.user, "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=timeout,
                              cwd=self.base)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done

    def create_database(self, name: str) -> str:
        self.command(str(self.bin / "createdb"), "-h", HOST, "-p", str(self.port), "-U", self.user, name)
        return self.url(name)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.command(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")


def start_cluster() -> Cluster:
    """initdb (trust on loopback only), then pg_ctl start on a free port; fsync off: throwaway data."""
    binary = server_bin()
    if binary is None:
        raise FileNotFoundError("PostgreSQL's initdb was not found (Debian: apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="infopipe-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(base, owner.pw_uid, owner.pw_gid)
        user = "postgres"
    else:
        user = pwd.getpwuid(os.geteuid()).pw_name
    cluster = Cluster(base, binary, free_port(), user)
    cluster.command(str(binary / "initdb"), "-D", str(cluster.data), "-U", user, "--auth=trust",
                    "-E", "UTF8", "--no-sync", "--no-instructions")
    options = f"-p {cluster.port} -k {base} -c listen_addresses={HOST} -c fsync=off -c max_connections=200"
    cluster.command(str(binary / "pg_ctl"), "-D", str(cluster.data), "-l", str(base / "server.log"),
                    "-o", options, "-w", "-t", "60", "start")
    return cluster


def remove_cluster(cluster: Cluster) -> None:
    try:
        cluster.stop()
    finally:
        shutil.rmtree(cluster.base, ignore_errors=True)
