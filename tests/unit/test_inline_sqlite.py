"""SQLite engines run their statements in the event loop's thread (inline_sqlite.py), and behave
as aiosqlite's did: errors reach the caller, a failed transaction leaves nothing behind."""

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from ordersaga.database.engine import consistent_reader, create_engine, dispose, session_factory


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/inline.db")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))
    yield engine
    await dispose(engine)


async def _thread_of_statements(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        raw.driver_connection._conn.create_function("thread_id", 0, threading.get_ident)  # type: ignore[union-attr]
        return int((await connection.execute(text("SELECT thread_id()"))).scalar_one())


async def test_the_writer_and_a_services_reader_run_statements_in_the_loops_thread(
    engine: AsyncEngine,
) -> None:
    reader = consistent_reader(session_factory(engine)).kw["bind"]
    assert await _thread_of_statements(engine) == threading.get_ident()
    assert await _thread_of_statements(reader) == threading.get_ident()


async def test_an_error_reaches_the_caller_and_its_transaction_leaves_nothing(
    engine: AsyncEngine,
) -> None:
    sessions = session_factory(engine)
    with pytest.raises(OperationalError, match="no such table"):
        async with sessions() as session, session.begin():
            await session.execute(text("INSERT INTO t (k, v) VALUES (1, 'half')"))
            await session.execute(text("SELECT * FROM missing"))
    async with sessions() as session, session.begin():
        await session.execute(text("INSERT INTO t (k, v) VALUES (2, 'whole')"))
    async with consistent_reader(sessions)() as session, session.begin():
        rows = (await session.execute(text("SELECT k, v FROM t"))).all()
    assert [tuple(row) for row in rows] == [(2, "whole")]


async def test_a_writer_waits_for_another_connections_lock_without_blocking_the_loop(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """Two writers on one file in one event loop: the second waits while the first, a task of
    the same loop, finishes its transaction (SQLite's own busy wait would block the loop, and
    the first could never commit)."""
    other = create_engine(f"sqlite+aiosqlite:///{tmp_path}/inline.db")
    holding, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t (k, v) VALUES (1, 'first')"))
            holding.set()
            await release.wait()

    async def second() -> None:
        await holding.wait()
        async with other.begin() as connection:
            await connection.execute(text("INSERT INTO t (k, v) VALUES (2, 'second')"))

    try:
        async with asyncio.timeout(10):
            waiting = asyncio.create_task(second())
            holder = asyncio.create_task(first())
            await holding.wait()
            await asyncio.sleep(0.05)  # the second is waiting for the lock by now
            assert not waiting.done()
            release.set()
            await asyncio.gather(holder, waiting)
    finally:
        await dispose(other)
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT k FROM t ORDER BY k"))).scalars().all()
    assert rows == [1, 2]
