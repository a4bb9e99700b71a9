"""What a person at a terminal sees during a run: each step as it runs, a bar for long work, and a
closing table of figures with where the outputs are. Silent when stdout is not a terminal, so logs,
pipes and tests get only the plain result lines.

Steps do not know about the display: the CLI opens a `Display`, `wrap(hook)` adds it around the
pipeline's `step` hook (plain call or Prefect task), and long steps call `progress_callback(done,
total)` (render: once per file), which does nothing when no display is open.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

Hook = Callable[..., Any]
_active: "Display | None" = None


def progress_callback(done: int, total: int) -> None:
    """Report that `done` of `total` units of the current step are finished (any thread)."""
    display = _active
    if display is not None:
        display.advance(done, total)


def wrap(inner: Hook) -> Hook:
    """A step hook `(name, fn, *args, **kwargs)` that shows the step on the open display and calls
    `inner` with exactly the same arguments (a `key=` too). Returns `inner` itself when no display
    is open, so worker processes and tests pay nothing."""
    display = _active
    if display is None:
        return inner

    def step(name: str, fn: Callable, *args, **kwargs):
        with display.step(name):
            return inner(name, fn, *args, **kwargs)

    return step


class Display:
    """One rich live display for one command; a no-op when the console is not a terminal."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(soft_wrap=True)  # long paths stay on one line
        self.enabled = self.console.is_terminal
        self._progress: Progress | None = None
        self._current = threading.local()
        self._previous: Display | None = None

    def __enter__(self) -> "Display":
        global _active
        if self.enabled:
            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description:<16}"), BarColumn(),
                                      _Count(), TimeElapsedColumn(), console=self.console, transient=True)
            self._progress.start()
            self._previous, _active = _active, self
        return self

    def __exit__(self, *exc) -> None:
        global _active
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            _active = self._previous

    @contextmanager
    def step(self, name: str):
        """Show `name` while it runs; print one line with its time when it ends (✓) or fails (✗)."""
        if self._progress is None:
            yield
            return
        task_id = self._progress.add_task(name, total=None)
        self._current.task = task_id
        began = time.perf_counter()
        try:
            yield
        except BaseException:
            self._finish(task_id, name, began, ok=False)
            raise
        self._finish(task_id, name, began, ok=True)

    def _finish(self, task_id, name: str, began: float, ok: bool) -> None:
        self._progress.remove_task(task_id)
        self._current.task = None
        mark = "[green]✓[/]" if ok else "[red]✗[/]"
        self.console.print(f"{mark} {name:<16} {time.perf_counter() - began:6.2f} s", highlight=False)

    def advance(self, done: int, total: int) -> None:
        task_id = getattr(self._current, "task", None)
        if self._progress is not None and task_id is not None:
            self._progress.update(task_id, completed=done, total=total)

    def message(self, text: str) -> None:
        """A line for people only (for instance the Prefect UI address)."""
        if self.enabled:
            self.console.print(text, highlight=False)

    def summary(self, folder: Path) -> None:
        """The figures of a finished run and where its outputs are."""
        if not self.enabled:
            return
        rows = figure_rows(folder)
        table = Table(title=f"{len(rows)} figures", title_justify="left", show_edge=False)
        from infopipe.concepts.verdicts import verdict

        figures = json.loads((Path(folder) / "figures.json").read_text(encoding="utf-8"))["figures"]
        styles = {"ok": "", "none": "dim", "note": "yellow", "fail": "bold red"}
        for column in ("figure", "printed", "claim", "computed", "verdict"):
            table.add_column(column, justify="right" if column == "computed" else "left")
        for row, figure in zip(rows, figures):
            table.add_row(*(str(row[c]) for c in ("figure", "printed", "claim", "computed", "verdict")),
                          style=styles[verdict(figure).level])
        self.console.print(table)
        for label, path in (("gallery", folder / "index.html"), ("page", folder / "page.png"),
                            ("review", folder / "report.html"), ("panels", folder / "panels")):
            if path.exists():
                self.console.print(f"{label:>8}: {path}", highlight=False)


class _Count(ProgressColumn):
    """'3/18' once a step reports its total; nothing before."""

    def render(self, task) -> Text:
        return Text("" if task.total is None else f"{task.completed:.0f}/{task.total:.0f}")


def figure_rows(folder: Path) -> list[dict]:
    """One row per figure of a run: what the page prints, the report's claim, the computed value at
    its meaningful precision, and the verdict (concepts.verdicts: the one decision every output shows)."""
    from infopipe.concepts.verdicts import shown, verdict

    figures = json.loads((Path(folder) / "figures.json").read_text(encoding="utf-8"))["figures"]
    rows = []
    for f in figures:
        kind = f.get("claim_kind")
        claim = str(f.get("published", ""))
        if kind and kind not in ("exact", "equals"):
            claim = f"{claim} ({kind})"
        rows.append({"figure": f["id"], "printed": f.get("printed"), "claim": claim if f.get("published")
                     is not None else "—", "computed": shown(f.get("value")), "verdict": verdict(f).words})
    return rows
