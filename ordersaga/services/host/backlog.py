"""The outbox backlog as a metric: every few seconds, how many committed events of the service
the relay has not published yet (nor parked). Counted apart from the relay, so the figure keeps
coming while the relay cannot publish (the broker away), which is when it grows. Every process
hosting the service reports it, the relay's standbys too: the same figure from each.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy import func, select

from ordersaga.database.engine import Sessions
from ordersaga.database.messaging_tables import MessagingTables
from ordersaga.telemetry.metrics import OUTBOX_BACKLOG, Meter

log = logging.getLogger(__name__)

BACKLOG_SECONDS = 5.0


async def unpublished(sessions: Sessions, tables: MessagingTables) -> int:
    """Events committed and not yet published or parked."""
    events = tables.events
    async with sessions() as session, session.begin():
        count = await session.scalar(
            select(func.count())
            .select_from(events)
            .where(events.c.published_at.is_(None), events.c.parked_reason.is_(None))
        )
    return int(count or 0)


@contextlib.asynccontextmanager
async def watching_backlog(
    service: str,
    sessions: Sessions,
    tables: MessagingTables,
    meter: Meter,
    every: float = BACKLOG_SECONDS,
) -> AsyncIterator[None]:
    """Report the backlog while entered (not at all when the meter is off); on exit the count
    under way finishes rather than being cancelled mid-transaction."""
    if not meter.enabled:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(_watch(service, sessions, tables, meter, every, stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def _watch(
    service: str,
    sessions: Sessions,
    tables: MessagingTables,
    meter: Meter,
    every: float,
    stop: asyncio.Event,
) -> None:
    while not stop.is_set():
        try:
            meter.set(OUTBOX_BACKLOG, await unpublished(sessions, tables), service=service)
        except Exception as error:  # the database away: the last figure stays, and we try again
            log.debug("%s: counting the outbox backlog failed: %r", service, error)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
