"""Leases: one holder at a time for a named job on one database (its outbox relay), taken over
by another process when the holder stops renewing it. Expiry is by the holders' clocks, which
are assumed to agree within a few seconds (NTP), as every lease assumes."""

import time

from sqlalchemy import or_, update

from ordersaga.database.engine import Sessions, insert_for
from ordersaga.database.messaging_tables import MessagingTables


async def hold(
    sessions: Sessions, tables: MessagingTables, name: str, holder: str, seconds: float
) -> float | None:
    """Take the lease `name`, or renew it, for `seconds`; its expiry (epoch seconds) while
    `holder` holds it, None while another does."""
    leases, now = tables.leases, time.time()
    until = now + seconds
    async with sessions() as session, session.begin():
        row = {"name": name, "holder": holder, "expires_at": until}
        await session.execute(insert_for(session, leases).values(row).on_conflict_do_nothing())
        taken = await session.execute(
            update(leases)
            .where(leases.c.name == name, or_(leases.c.holder == holder, leases.c.expires_at < now))
            .values(holder=holder, expires_at=until)
        )
    return until if taken.rowcount == 1 else None  # type: ignore[attr-defined]
