"""What a run was made of (code, environment, inputs) and the project's append-only, hash-chained log.

Each log line carries the SHA-256 of the line before it, so rewriting or deleting an old entry breaks
the chain at a place `infopipe verify` names.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from infopipe.errors import Problem
from infopipe.run.steps import all_versions

GENESIS = "0" * 64


def canonical_json(data) -> str:
    """One JSON text for the same data, whatever the dict order: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")


def environment() -> dict:
    return {"python": sys.version.split()[0], "platform": platform.platform(), "packages": all_versions()}


def git_state(root: Path) -> dict:
    """The commit the code came from and whether the work tree had uncommitted changes."""
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                                 timeout=20)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def entry_hash(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def read_log(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def append_log(path: Path, entry: dict) -> dict:
    """Append one entry, chained to the last line; the caller holds the project lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = read_log(path)
    chained = {**entry, "previous_entry_sha256": entry_hash(lines[-1]) if lines else GENESIS}
    line = canonical_json(chained)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return chained


def verify_chain(path: Path) -> list[Problem]:
    """Every entry parses and names the hash of the entry before it."""
    problems = []
    previous = GENESIS
    for number, line in enumerate(read_log(path), start=1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as err:
            problems.append(Problem(str(path), "log-entry", f"entry is not JSON: {err}", line=number))
            previous = entry_hash(line)
            continue
        found = entry.get("previous_entry_sha256")
        if found != previous:
            problems.append(Problem(str(path), "log-chain", f"entry {number} names previous hash "
                            f"{found}, but entry {number - 1} hashes to {previous}: an earlier entry "
                            "was changed, removed or inserted", line=number))
        previous = entry_hash(line)
    return problems


def find_entry(path: Path, run_id: str) -> dict | None:
    for line in read_log(path):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("run_id") == run_id:
            return entry
    return None
