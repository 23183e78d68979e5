"""Leases: one holder at a time for a named job on one database (its outbox relay,
the projector), taken over
by another process when the holder stops renewing it. Expiry is by the holders' clocks, which
are assumed to agree within a few seconds (NTP), as every lease assumes."""

import time

from sqlalchemy import Table, or_, update

from ordersaga.database.engine import Sessions, insert_new


async def hold(
    sessions: Sessions, leases: Table, name: str, holder: str, seconds: float
) -> float | None:
    """Take the lease `name` (a row of `leases`), or renew it, for `seconds`; its expiry (epoch
    seconds) while `holder` holds it, None while another does."""
    now = time.time()
    until = now + seconds
    async with sessions() as session, session.begin():
        row = {"name": name, "holder": holder, "expires_at": until}
        await session.execute(insert_new(session, leases), row)
        taken = await session.execute(
            update(leases)
            .where(leases.c.name == name, or_(leases.c.holder == holder, leases.c.expires_at < now))
            .values(holder=holder, expires_at=until)
        )
    return until if taken.rowcount == 1 else None  # type: ignore[attr-defined]


async def release(sessions: Sessions, leases: Table, name: str, holder: str) -> None:
    """Give the lease up at once (a clean stop), so a standby need not wait for it to expire."""
    async with sessions() as session, session.begin():
        await session.execute(
            update(leases)
            .where(leases.c.name == name, leases.c.holder == holder)
            .values(expires_at=0)
        )
