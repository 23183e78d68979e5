"""The payment process: its database brought to head (and seeded), then its command and
query consumers and outbox relay on RabbitMQ until told to stop.

`running(settings)` is the whole lifecycle as an async context manager, so tests run the real
service in-process; `run(settings, stop)` is what the process entry point awaits.
"""

import asyncio
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.commands import PaymentCommand
from contracts.queries import PaymentQuery
from messaging.participant import ParticipantRuntime, ParticipantSpec
from payment.handlers import handle_command
from payment.models import TABLES
from payment.queries import SOURCE, handle_query
from payment.seed import seed_if_empty
from persistence.engine import create_engine, session_factory
from persistence.migrations import upgrade_to_head
from settings.participant import PaymentSettings

Sessions = async_sessionmaker[AsyncSession]

_commands: TypeAdapter[PaymentCommand] = TypeAdapter(PaymentCommand)
_queries: TypeAdapter[PaymentQuery] = TypeAdapter(PaymentQuery)


def spec(sessions: Sessions) -> ParticipantSpec:
    return ParticipantSpec(
        service=SOURCE,
        parse_command=_commands.validate_json,
        handle_command=functools.partial(handle_command, sessions),
        parse_query=_queries.validate_json,
        handle_query=functools.partial(handle_query, sessions),
    )


@dataclass(frozen=True)
class RunningPayment:
    sessions: Sessions
    runtime: ParticipantRuntime


@asynccontextmanager
async def database(url: str, seed: bool) -> AsyncIterator[Sessions]:
    """The service's database at the latest migration, seeded on first start if asked."""
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine, "payment")
        sessions = session_factory(engine)
        if seed:
            await seed_if_empty(sessions)
        yield sessions
    finally:
        await engine.dispose()


@asynccontextmanager
async def running(settings: PaymentSettings) -> AsyncIterator[RunningPayment]:
    async with database(settings.payment_db_url, settings.seed) as sessions:
        runtime = ParticipantRuntime(
            spec(sessions),
            settings.rabbitmq_url,
            settings.topology,
            sessions,
            TABLES,
            settings.prefetch,
        )
        try:
            await runtime.start()
            yield RunningPayment(sessions, runtime)
        finally:
            await runtime.stop()


async def run(settings: PaymentSettings, stop: asyncio.Event) -> None:
    async with running(settings):
        await stop.wait()
