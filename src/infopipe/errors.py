"""One error type for every bad input, carrying each problem's file, row, line, column and check."""

from __future__ import annotations

import errno
import signal
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, located precisely enough to fix it by hand."""

    file: str
    check: str
    message: str
    row: int | None = None  # 1-based data row, header not counted
    line: int | None = None  # 1-based line in the file
    column: str | None = None
    value: str | None = None
    sheet: str | None = None  # workbook inputs: the sheet, and the cell in A1 form
    cell: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet is not None:
            where.append(f"sheet {self.sheet!r}")
        if self.cell is not None:
            where.append(f"cell {self.cell}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        shown = "" if self.value is None else f" (value: {_shorten(self.value)!r})"
        return f"{', '.join(where)}: [{self.check}] {self.message}{shown}"

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


class InfopipeError(Exception):
    """Raised by a step with every problem it found, so one run reports them all."""

    def __init__(self, step: str, problems: list[Problem]):
        self.step = step
        self.problems = list(problems)
        self.review_page = None  # a failed run's page (outputs/<project>/failed/<run>.html), once written
        super().__init__(self.summary())

    def __reduce__(self):  # rebuilt from its parts when it crosses a process (the raster workers)
        return type(self), (self.step, self.problems)

    def summary(self) -> str:
        files = sorted({p.file for p in self.problems})
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        return f"{self.step} failed: {count} {noun} in {', '.join(files)}"

    def __str__(self) -> str:
        return "\n".join([self.summary(), *(f"  - {p}" for p in self.problems)])


def _shorten(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


OS_CAUSES = {
    errno.ENOSPC: ("disk-full", "no space left on the device: free some space and run again"),
    errno.EDQUOT: ("disk-full", "the disk quota is used up: free some space and run again"),
    errno.EACCES: ("permission", "permission denied"),
    errno.EPERM: ("permission", "operation not permitted"),
    errno.EROFS: ("read-only", "the file system is read-only"),
    errno.ELOOP: ("symlink-loop", "a symbolic link loops back on itself"),
    errno.ENOENT: ("missing", "no such file or folder"),
    errno.ENOTDIR: ("not-a-folder", "a part of the path is not a folder"),
    errno.EISDIR: ("is-a-folder", "a folder where a file was expected"),
    errno.EIO: ("io-error", "the device reported an input/output error"),
    errno.ENAMETOOLONG: ("name-too-long", "the file name is too long"),
}


def os_problem(err: OSError, where: str = "") -> Problem:
    """An operating-system error as one located line: the path and the cause, in words."""
    check, cause = OS_CAUSES.get(err.errno, ("os-error", err.strerror or type(err).__name__))
    path = err.filename2 if check in ("disk-full", "read-only") and err.filename2 else err.filename
    return Problem(str(path or where or "?"), check, cause)  # a copy's full disk is its destination's


class Stopped(BaseException):
    """The run was stopped by a signal (SIGTERM, SIGHUP); the exit code is 128 + its number."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"stopped by signal {signal.Signals(signum).name}")
