"""A command handled exactly once: one transaction looks the command id up in the
processed-commands table, applies the service's rule for the command's type, stores the reply
and appends the events (the transactional outbox).

A redelivered or re-sent command finds its stored reply and changes nothing. A rejection rolls
back whatever the rule had changed (a savepoint) but is itself recorded, so a re-sent command
is rejected the same way.

Each command handled is counted (metrics.py): applied for the first time (accepted or
rejected), or deduplicated (answered from the stored reply), by service and command kind.
"""

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.events import CommandRejected
from ordersaga.contracts.rejections import Rejected
from ordersaga.contracts.replies import Reply
from ordersaga.database.engine import Sessions
from ordersaga.database.event_log import append_events
from ordersaga.database.messaging_tables import MessagingTables
from ordersaga.database.processed_commands import store_reply, stored_reply
from ordersaga.services.host.service import Outcome, Rule, Service
from ordersaga.telemetry.metrics import (
    COMMANDS_DEDUPLICATED,
    COMMANDS_HANDLED,
    NO_METER,
    Meter,
)


class Commands:
    def __init__(
        self,
        service: Service,
        sessions: Sessions,
        tables: MessagingTables,
        meter: Meter = NO_METER,
    ) -> None:
        self._service, self._sessions, self._tables = service, sessions, tables
        self._meter = meter

    def parse(self, body: bytes) -> Any:
        return self._service.commands.validate_json(body)

    async def handle(self, command: Any) -> Reply:
        rule = self._service.rule_for(command)
        try:
            return await self._once(command, rule)
        except IntegrityError:
            # A concurrent delivery of the same command committed first: answer with its reply.
            # (Any other conflict is raised again, and the broker redelivers the command.)
            async with self._sessions() as session, session.begin():
                reply = await stored_reply(session, self._tables, command.command_id)
            if reply is None:
                raise
            self._deduplicated(command)
            return reply

    async def _once(self, command: Any, rule: Rule) -> Reply:
        async with self._sessions() as session, session.begin():
            previous = await stored_reply(session, self._tables, command.command_id)
            if previous is not None:
                self._deduplicated(command)
                return previous
            outcome = await _apply(session, command, rule)
            reply = Reply(command_id=command.command_id, body=outcome.body)
            await store_reply(session, self._tables, command.kind, reply)
            await append_events(session, self._tables, [outcome.body] if outcome.changed else [])
        verdict = "rejected" if isinstance(outcome.body, CommandRejected) else "accepted"
        self._meter.count(
            COMMANDS_HANDLED, service=self._service.name, command=command.kind, outcome=verdict
        )
        return reply

    def _deduplicated(self, command: Any) -> None:
        self._meter.count(COMMANDS_DEDUPLICATED, service=self._service.name, command=command.kind)


async def _apply(session: AsyncSession, command: Any, rule: Rule) -> Outcome:
    try:
        async with session.begin_nested():
            return await rule(session, command)
    except Rejected as rejection:
        return Outcome(
            CommandRejected(
                order_id=command.order_id,
                command=command.kind,
                code=rejection.code,
                reason=rejection.reason,
            )
        )
