"""The processed-commands table: a command's stored reply, looked up by command_id.

Both statements are built once per table and bound per call: building a statement and
computing its cache key cost more CPU than SQLite spends running it (docs/performance.md)."""

from datetime import UTC, datetime
from functools import cache

from sqlalchemy import Insert, Select, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.replies import Reply
from ordersaga.database.messaging_tables import MessagingTables


async def stored_reply(
    session: AsyncSession, tables: MessagingTables, command_id: str
) -> Reply | None:
    raw = await session.scalar(_lookup(tables.processed_commands), {"id": command_id})
    return None if raw is None else Reply.model_validate_json(raw)


async def store_reply(
    session: AsyncSession, tables: MessagingTables, kind: str, reply: Reply
) -> None:
    await session.execute(
        _insert(tables.processed_commands),
        {
            "command_id": reply.command_id,
            "kind": kind,
            "reply": reply.model_dump_json(),
            "processed_at": datetime.now(UTC),
        },
    )


@cache
def _lookup(pc: Table) -> Select[str]:
    return select(pc.c.reply).where(pc.c.command_id == bindparam("id"))


@cache
def _insert(pc: Table) -> Insert:
    return pc.insert()
