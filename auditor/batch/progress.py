"""The progress bar of a batch: done / total with elapsed time and ETA, on stderr."""
from __future__ import annotations

from typing import Any


class ProgressBar:
    """A rich progress bar with ETA on stderr (nothing when disabled)."""

    def __init__(self, *, total: int, done: int, enabled: bool, console: Any = None):
        self.enabled = enabled
        self.total = total
        self.done = done
        self._progress = None
        if enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self._progress = Progress(
                TextColumn("[bold]auditing"), BarColumn(), MofNCompleteColumn(), TextColumn("elapsed"),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.description}"),
                console=console or Console(stderr=True), transient=False,
            )
            self._task = self._progress.add_task("", total=total, completed=done)

    def __enter__(self) -> "ProgressBar":
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, s: Any) -> None:
        self.done += 1
        if self._progress is not None:
            from rich.markup import escape

            self._progress.update(self._task, advance=1, description=escape(s.relpath[-60:]))


# --------------------------------------------------------------------------- outputs
