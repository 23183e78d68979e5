"""The processed-commands table: a command's stored reply, looked up by command_id."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.replies import Reply
from ordersaga.database.messaging_tables import MessagingTables


async def stored_reply(
    session: AsyncSession, tables: MessagingTables, command_id: str
) -> Reply | None:
    pc = tables.processed_commands
    raw = await session.scalar(select(pc.c.reply).where(pc.c.command_id == command_id))
    return None if raw is None else Reply.model_validate_json(raw)


async def store_reply(
    session: AsyncSession, tables: MessagingTables, kind: str, reply: Reply
) -> None:
    await session.execute(
        tables.processed_commands.insert().values(
            command_id=reply.command_id,
            kind=kind,
            reply=reply.model_dump_json(),
            processed_at=datetime.now(UTC),
        )
    )
