"""The inventory process: the composition of its rules, tables and demo data into a participant
(database at head, command and query consumers, outbox relay; see messaging.participant).

`running(settings)` is the whole lifecycle as an async context manager, so tests run the real
service in-process; `run(settings, stop)` is what the process entry point awaits.
"""

import asyncio
from contextlib import AbstractAsyncContextManager

from contracts.commands import InventoryCommand
from contracts.queries import InventoryQuery
from inventory.handlers import handle_command
from inventory.models import TABLES
from inventory.queries import SOURCE, handle_query
from inventory.seed import seed_if_empty
from messaging.participant import Participant, RunningParticipant
from settings.participant import InventorySettings

INVENTORY = Participant(
    SOURCE, InventoryCommand, InventoryQuery, handle_command, handle_query, TABLES, seed_if_empty
)


def running(settings: InventorySettings) -> AbstractAsyncContextManager[RunningParticipant]:
    return INVENTORY.running(settings, settings.inventory_db_url)


async def run(settings: InventorySettings, stop: asyncio.Event) -> None:
    await INVENTORY.run(settings, settings.inventory_db_url, stop)
