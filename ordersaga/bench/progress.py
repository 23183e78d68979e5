"""The benchmark's progress bar (rich's): one task per phase, ticked per request."""

from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar

from ordersaga.bench.load import Tick


class Progress:
    """A bar per phase; `quiet` shows none (tests, or output into a file)."""

    def __init__(self, quiet: bool = False) -> None:
        self._bar = Bar(
            TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), disable=quiet,
        )  # fmt: skip
        self._current: TaskID | None = None

    def __enter__(self) -> "Progress":
        self._bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish()
        self._bar.stop()

    def phase(self, name: str, total: int) -> Tick:
        self._finish()
        task = self._bar.add_task(name, total=total or None)
        self._current = task
        return lambda: self._bar.advance(task)

    def _finish(self) -> None:
        if self._current is not None:
            done = self._bar.tasks[self._current]
            self._bar.update(
                self._current, total=done.completed or 1, completed=done.completed or 1
            )
