"""aiosqlite's connection, run in the event loop's own thread instead of a thread of its own.

aiosqlite hands every call to a worker thread and waits for the answer: SQLAlchemy makes three
to six such calls per statement (open a cursor, execute, fetch, close), and a command's
transaction has eleven statements, so a participant paid about seventy thread hand-offs per
command, each a queue, a wake-up and a trip through the event loop's self-pipe: more than half
of the 5.5 ms of CPU it spent on a command (`docs/performance.md`). SQLite on a local disk
answers a statement in microseconds, so here each call runs where it is made.

While a statement runs, the event loop waits for it: microseconds for a statement, about half a
millisecond for a commit's fsync (`synchronous=FULL`). What must not block it is waiting for a
lock another connection holds, since that connection's transaction may be a task of this very
loop: SQLite's own busy handler would sleep in the loop's thread, and the holder could never
finish. So SQLite is told not to wait (`timeout=0`), and a statement that finds the database
locked waits here instead, without blocking: SQLite's busy wait, asynchronously, for up to the
same bound. It re-runs only a statement SQLite refused before doing anything (SQLITE_BUSY).
"""

import asyncio
import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite

CHUNK = 64  # rows per fetch when iterating a cursor (aiosqlite's default)
WAITS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)  # then 0.05 s until the bound (as SQLite's)


class _RunAtOnce:
    """Stands in for aiosqlite's queue to its thread: a call put on it runs at once. (SQLAlchemy
    puts calls on that queue directly, to set a connection's isolation level.)"""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # handed to whoever waits, as aiosqlite's thread does
            if future is not None:
                future.set_exception(error)
            return
        if future is not None:
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's API over one sqlite3 connection, used only from the event loop's thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], busy_seconds: float) -> None:
        super().__init__(connector, CHUNK)
        self._tx = _RunAtOnce()  # type: ignore[assignment]
        self._busy_seconds = busy_seconds

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if not _locked(error):
                raise
        return await self._when_unlocked(fn, *args, **kwargs)

    async def _when_unlocked(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        deadline, attempt = loop.time() + self._busy_seconds, 0
        while True:
            await asyncio.sleep(WAITS[min(attempt, len(WAITS) - 1)])
            attempt += 1
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as error:
                if not _locked(error) or loop.time() >= deadline:
                    raise

    async def _connect(self) -> "InlineConnection":
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Any:  # no thread to start
        return self._connect().__await__()

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def _locked(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


async def connect_inline(path: str, busy_seconds: float) -> InlineConnection:
    """For `create_async_engine(url, async_creator=partial(connect_inline, path, seconds))`
    with the aiosqlite dialect: how long a statement waits for another connection's lock."""
    connection = InlineConnection(
        partial(sqlite3.connect, path, timeout=0, check_same_thread=False), busy_seconds
    )
    return await connection._connect()
