"""The payment process: the composition of its rules, tables and demo data into a participant
(database at head, command and query consumers, outbox relay; see messaging.participant).

`running(settings)` is the whole lifecycle as an async context manager, so tests run the real
service in-process; `run(settings, stop)` is what the process entry point awaits.
"""

import asyncio
from contextlib import AbstractAsyncContextManager

from contracts.commands import PaymentCommand
from contracts.queries import PaymentQuery
from messaging.participant import Participant, RunningParticipant
from payment.handlers import handle_command
from payment.models import TABLES
from payment.queries import SOURCE, handle_query
from payment.seed import seed_if_empty
from settings.participant import PaymentSettings

PAYMENT = Participant(
    SOURCE, PaymentCommand, PaymentQuery, handle_command, handle_query, TABLES, seed_if_empty
)


def running(settings: PaymentSettings) -> AbstractAsyncContextManager[RunningParticipant]:
    return PAYMENT.running(settings, settings.payment_db_url)


async def run(settings: PaymentSettings, stop: asyncio.Event) -> None:
    await PAYMENT.run(settings, settings.payment_db_url, stop)
