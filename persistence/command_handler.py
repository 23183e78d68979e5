"""Handle a command exactly once: one transaction checks the processed-commands table,
changes state, stores the reply and appends the events (the transactional outbox).

A redelivered or re-sent command finds its stored reply and changes nothing. A rejection
rolls back whatever the rule had changed (a savepoint) but is itself recorded, so a re-sent
command is rejected the same way.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.events import CommandRejected, ParticipantEvent
from contracts.rejections import Rejected
from contracts.replies import Reply
from persistence.event_log import append_events
from persistence.messaging_tables import MessagingTables
from persistence.processed_commands import store_reply, stored_reply


class CommandLike(Protocol):
    @property
    def command_id(self) -> str: ...
    @property
    def order_id(self) -> str: ...
    @property
    def kind(self) -> str: ...


C = TypeVar("C", bound=CommandLike)


@dataclass(frozen=True)
class Outcome:
    """What a rule did: the reply body, and whether it is also an event (a no-op is not)."""

    body: ParticipantEvent
    changed: bool = True


Rule = Callable[[AsyncSession, C], Awaitable[Outcome]]


async def handle_once(
    sessions: async_sessionmaker[AsyncSession], tables: MessagingTables, command: C, rule: Rule[C]
) -> Reply:
    try:
        return await _handle_in_transaction(sessions, tables, command, rule)
    except IntegrityError:
        # A concurrent delivery of the same command committed first; answer with its reply.
        async with sessions() as session, session.begin():
            reply = await stored_reply(session, tables, command.command_id)
        if reply is None:
            raise
        return reply


async def _handle_in_transaction(
    sessions: async_sessionmaker[AsyncSession], tables: MessagingTables, command: C, rule: Rule[C]
) -> Reply:
    async with sessions() as session, session.begin():
        if (previous := await stored_reply(session, tables, command.command_id)) is not None:
            return previous
        outcome = await _apply(session, command, rule)
        reply = Reply(command_id=command.command_id, body=outcome.body)
        await store_reply(session, tables, command.kind, reply)
        await append_events(session, tables, [outcome.body] if outcome.changed else [])
        return reply


async def _apply(session: AsyncSession, command: C, rule: Rule[C]) -> Outcome:
    try:
        async with session.begin_nested():
            return await rule(session, command)
    except Rejected as rejection:
        body = CommandRejected(
            order_id=command.order_id,
            command=command.kind,
            code=rejection.code,
            reason=rejection.reason,
        )
        return Outcome(body)
