"""Async engines for SQLite (the embedded default) and PostgreSQL (production).

Engines are made by `sqlalchemy_asyncio.create_async_engine`, looked up when called: with tracing
on, SQLAlchemy's OpenTelemetry instrumentation wraps that function (ordersaga/telemetry/tracing.py)
and so traces every engine made here."""

import weakref
from functools import cache, partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext import asyncio as sqlalchemy_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ordersaga.database.inline_sqlite import InlineConnection, connect_inline

BUSY_SECONDS = 30.0
"""How long a SQLite transaction waits for another process's write lock before it fails."""

Sessions = async_sessionmaker[AsyncSession]
"""What code is handed to open a transaction: `async with sessions() as s, s.begin()`."""


def create_engine(url: str, durable: bool = True, **kwargs: Any) -> AsyncEngine:
    """An engine whose transactions are safe under concurrent writers on either backend.

    `durable=False` (SQLite only) lets a commit return before it is synced to disk: an OS crash
    or power loss may then lose the last transactions, never half of one. Only for a database
    that can be derived again (the read model: its positions roll back with its views)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return _sqlite_engine(url, durable, **kwargs)
    return sqlalchemy_asyncio.create_async_engine(url, pool_pre_ping=True, **kwargs)


def insert_in(dialect: str, target: Any) -> Any:
    """INSERT in the dialect named (`postgresql`, or SQLite's), with its ON CONFLICT clauses."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(target)


def insert_new(session: AsyncSession, table: Any) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING` into `table` (a Core table or a mapped class) in the
    session's dialect, built once per dialect and table: execute it with the row or rows
    (building it anew costs more than the insert)."""
    return _insert_new(session.get_bind().dialect.name, table)


@cache
def _insert_new(dialect: str, table: Any) -> Any:
    return insert_in(dialect, table).on_conflict_do_nothing()


def session_factory(engine: AsyncEngine) -> Sessions:
    return async_sessionmaker(engine, expire_on_commit=False)


def consistent_reader(sessions: Sessions) -> Sessions:
    """Sessions that only read, whose every statement in a transaction sees the same snapshot of
    the database. PostgreSQL: REPEATABLE READ (its default, READ COMMITTED, does not). SQLite: a
    reader engine beside the database's one writer (deferred transactions: under WAL they read
    beside the writer and never queue for its lock), disposed with it by `dispose`."""
    engine: AsyncEngine = sessions.kw["bind"]
    if engine.dialect.name == "postgresql":
        return session_factory(engine.execution_options(isolation_level="REPEATABLE READ"))
    if engine.url.database in (None, "", ":memory:"):
        return sessions
    reader = _READERS.get(engine.sync_engine)
    if reader is None:
        reader = create_reader(engine.url.render_as_string(hide_password=False), inline=True)
        _READERS[engine.sync_engine] = reader
    return session_factory(reader)


_READERS: "weakref.WeakKeyDictionary[Engine, AsyncEngine]" = weakref.WeakKeyDictionary()


async def dispose(engine: AsyncEngine) -> None:
    """Close an engine's connections, and those of the reader `consistent_reader` made for it."""
    reader = _READERS.pop(engine.sync_engine, None)
    if reader is not None:
        await reader.dispose()
    await engine.dispose()


def create_reader(url: str, inline: bool = False) -> AsyncEngine:
    """An engine for a process that only reads (the API on the read model): on SQLite its
    transactions are deferred, so readers never queue for the write lock (WAL lets them read
    beside the writer). `inline`: its statements run in the event loop's thread (for short
    reads: a service's feed pages and relay batches; the API's searches keep their thread)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sqlalchemy_asyncio.create_async_engine(url, pool_pre_ping=True)
    options: dict[str, Any] = {}
    if inline and parsed.database not in (None, "", ":memory:"):
        options["async_creator"] = partial(connect_inline, parsed.database, BUSY_SECONDS)
    engine = sqlalchemy_asyncio.create_async_engine(
        url, connect_args={"timeout": BUSY_SECONDS}, **options
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute(f"PRAGMA busy_timeout={_busy_ms(dbapi_connection)}")

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def _sqlite_engine(url: str, durable: bool, **kwargs: Any) -> AsyncEngine:
    database = make_url(url).database
    if database not in (None, "", ":memory:"):
        # One writer per database: a transaction waits its turn for the one pooled connection
        # in this process (first come, first served) instead of in SQLite's busy handler, whose
        # growing sleeps let a waiter starve for seconds while others get the lock. Reads that
        # need no lock go through `consistent_reader`.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        # Its statements run in the event loop's thread, not in a thread of their own
        # (inline_sqlite.py: a command's forty thread hand-offs cost more than its SQL).
        kwargs.setdefault("async_creator", partial(connect_inline, database, BUSY_SECONDS))
    engine = sqlalchemy_asyncio.create_async_engine(
        url, connect_args={"timeout": BUSY_SECONDS}, **kwargs
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={_busy_ms(dbapi_connection)}")
        # FULL: a commit is on disk before its reply is sent; NORMAL could lose a transaction
        # whose reply (a capture, a release) already went out, on an OS crash or power loss.
        cursor.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock up front: a deferred transaction that reads and then writes can
        # fail with SQLITE_BUSY instead of waiting its turn.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _busy_ms(dbapi_connection: Any) -> int:
    """SQLite's own busy wait: none on an inline connection, which waits without blocking."""
    inline = isinstance(dbapi_connection.driver_connection, InlineConnection)
    return 0 if inline else round(BUSY_SECONDS * 1000)
