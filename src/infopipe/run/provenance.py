"""What a run was made of (code, environment, inputs) and the project's append-only, hash-chained log.

Each log line carries the SHA-256 of the line before it, so rewriting or deleting an old entry breaks
the chain at a place `infopipe verify` names.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from infopipe.errors import InfopipeError, Problem, os_problem
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


def own_hash(entry: dict) -> str:
    """An entry's hash of itself (without this field): an edit to any line, the newest too, shows."""
    return entry_hash(canonical_json({k: v for k, v in entry.items() if k != "entry_sha256"}))


@dataclass(frozen=True)
class LogLine:
    number: int  # 1-based line in the file
    text: str
    entry: dict | None  # None: the line is not a whole JSON entry


def _read_locked(path: Path) -> bytes:
    """The log's bytes, read under a shared lock so a reader never sees half of an append."""
    with open(path, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            return handle.read()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def scan_log(path: Path) -> tuple[list[LogLine], list[Problem]]:
    """Every line of the log, and what is wrong with each: a byte that is not UTF-8, a line cut
    short (no newline at the end of the file), an entry that is not JSON, a broken chain, an
    entry edited after it was written. Blank lines are skipped, as before."""
    return parse_log(_read_locked(path), str(path)) if path.exists() else ([], [])


def parse_log(data: bytes, shown: str) -> tuple[list[LogLine], list[Problem]]:
    lines, problems = [], []
    previous = GENESIS
    raw_lines = data.split(b"\n")
    cut = raw_lines[-1] != b""
    raw_lines = raw_lines if cut else raw_lines[:-1]
    for number, raw in enumerate(raw_lines, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            problems.append(Problem(shown, "log-bytes", f"entry {number} has a byte that is not UTF-8 "
                            f"(0x{raw[err.start]:02x} at byte {err.start + 1} of the line): the log was "
                            "damaged or edited", line=number))
            lines.append(LogLine(number, raw.decode("utf-8", errors="replace"), None))
            previous = hashlib.sha256(raw).hexdigest()
            continue
        if not text.strip():
            continue
        if cut and number == len(raw_lines):
            problems.append(Problem(shown, "log-cut", f"entry {number} is cut short (the file does not "
                            "end with a newline): a write to the log was interrupted", line=number))
            lines.append(LogLine(number, text, None))
            continue
        try:
            entry = json.loads(text)
            if not isinstance(entry, dict):
                raise ValueError("not an object")
        except ValueError as err:
            problems.append(Problem(shown, "log-entry", f"entry is not JSON: {err}", line=number))
            lines.append(LogLine(number, text, None))
            previous = entry_hash(text)
            continue
        found = entry.get("previous_entry_sha256")
        if found != previous:
            problems.append(Problem(shown, "log-chain", f"entry {number} names previous hash "
                            f"{found}, but entry {number - 1} hashes to {previous}: an earlier entry "
                            "was changed, removed or inserted", line=number))
        if "entry_sha256" in entry and entry["entry_sha256"] != own_hash(entry):
            problems.append(Problem(shown, "log-edited", f"entry {number} was changed after it was "
                            "written: it no longer matches its own hash", line=number))
        lines.append(LogLine(number, text, entry))
        previous = entry_hash(text)
    return lines, problems


def read_log(path: Path) -> list[str]:
    """The log's non-blank lines as text (an undecodable byte shown as U+FFFD; verify names it)."""
    return [line.text for line in scan_log(path)[0]]


def verify_chain(path: Path) -> list[Problem]:
    """Every entry is whole UTF-8 JSON, unedited, and names the hash of the entry before it."""
    return scan_log(path)[1]


def check_log(path: Path) -> None:
    """Refuse to build when the log could not take this run's entry: never extend a damaged log
    (a cut, undecodable or edited line), nor start work whose entry cannot be written."""
    problems = verify_chain(path)
    if problems:
        raise InfopipeError("log", [*problems, Problem(str(path), "log-refused", "nothing was built and "
                            "nothing was added to the log: keep this file as evidence, restore it from "
                            "a copy or move it aside, then run again")])
    try:
        if path.exists():
            open(path, "ab").close()
    except OSError as err:
        raise InfopipeError("log", [os_problem(err, str(path))]) from None


def append_log(path: Path, entry: dict) -> dict:
    """Append one entry as one whole line, chained to the last line and fsynced; on any failure
    (a full disk, a short write) the file is cut back to what it was. Refuses a log whose last line
    is not whole. The caller holds the project lock; the file lock keeps readers out meanwhile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        lines, problems = parse_log(os.pread(fd, size, 0), str(path))
        if problems:
            raise InfopipeError("log", problems)
        chained = {**entry, "previous_entry_sha256": entry_hash(lines[-1].text) if lines else GENESIS}
        chained["entry_sha256"] = own_hash(chained)
        data = (canonical_json(chained) + "\n").encode("utf-8")
        try:
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
        except BaseException:
            os.ftruncate(fd, size)  # never leave half a line
            os.fsync(fd)
            raise
        return chained
    finally:
        os.close(fd)  # closing drops the lock


def find_entry(path: Path, run_id: str, status: str | None = None) -> dict | None:
    """The log entry of a run (the first with that id, or with that id and status)."""
    for line in scan_log(path)[0]:
        if line.entry and line.entry.get("run_id") == run_id and status in (None, line.entry.get("status")):
            return line.entry
    return None
