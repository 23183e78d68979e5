"""The inventory process: its database brought to head (and seeded), then its command and
query consumers and outbox relay on RabbitMQ until told to stop.

`running(settings)` is the whole lifecycle as an async context manager, so tests run the real
service in-process; `run(settings, stop)` is what the process entry point awaits.
"""

import asyncio
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.commands import InventoryCommand
from contracts.queries import InventoryQuery
from inventory.handlers import handle_command
from inventory.models import TABLES
from inventory.queries import SOURCE, handle_query
from inventory.seed import seed_if_empty
from messaging.participant import ParticipantSpec, RunningParticipant, running_participant
from settings.participant import InventorySettings

Sessions = async_sessionmaker[AsyncSession]

_commands: TypeAdapter[InventoryCommand] = TypeAdapter(InventoryCommand)
_queries: TypeAdapter[InventoryQuery] = TypeAdapter(InventoryQuery)


def spec(sessions: Sessions) -> ParticipantSpec:
    return ParticipantSpec(
        service=SOURCE,
        parse_command=_commands.validate_json,
        handle_command=functools.partial(handle_command, sessions),
        parse_query=_queries.validate_json,
        handle_query=functools.partial(handle_query, sessions),
    )


@asynccontextmanager
async def running(settings: InventorySettings) -> AsyncIterator[RunningParticipant]:
    async with running_participant(
        settings, "inventory", settings.inventory_db_url, spec, TABLES, seed_if_empty
    ) as participant:
        yield participant


async def run(settings: InventorySettings, stop: asyncio.Event) -> None:
    async with running(settings):
        await stop.wait()
