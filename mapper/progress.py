"""Per-stage progress bars on a terminal (rich), silent otherwise.

Progress(enabled)            a context manager; .task(name, total) -> a task to advance
NullTask                     what .task gives when the bars are off
"""

from __future__ import annotations

__all__ = ["NullTask", "Progress"]


class Progress:
    """Per-stage progress bars on a terminal (rich), silent otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._progress = None
        if enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), transient=False)

    def __enter__(self):
        if self._progress:
            self._progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self._progress:
            self._progress.__exit__(*exc)

    def task(self, name: str, total: int | None = None):
        if not self._progress:
            return NullTask()
        return Task(self._progress, self._progress.add_task(name, total=total))


class NullTask:
    def advance(self, n: int = 1) -> None:
        pass

    def done(self) -> None:
        pass


class Task(NullTask):
    def __init__(self, progress, task_id):
        self.p, self.id = progress, task_id

    def advance(self, n: int = 1) -> None:
        self.p.advance(self.id, n)

    def done(self) -> None:
        t = self.p.tasks[self.p.task_ids.index(self.id)]
        self.p.update(self.id, total=t.completed)
