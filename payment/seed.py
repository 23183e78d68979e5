"""Demo accounts, put in an empty payment database on first start so a new user can order
at once.

They cover every path: alice and bob can pay, carol's small limit runs out
(InsufficientFunds), and mallory's card is always declined (PaymentDeclined). Two processes
starting together both insert, and the conflicts are ignored.
"""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from payment.models import Account

DEMO_ACCOUNTS: list[dict[str, Any]] = [
    {"customer_id": "alice", "credit_limit_cents": 500_000, "blocked": False},
    {"customer_id": "bob", "credit_limit_cents": 100_000, "blocked": False},
    {"customer_id": "carol", "credit_limit_cents": 5_000, "blocked": False},
    {"customer_id": "mallory", "credit_limit_cents": 100_000, "blocked": True},
]


async def seed_if_empty(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Seed the demo accounts unless the table has any row; True if this call seeded."""
    async with sessions() as session, session.begin():
        if await session.scalar(select(func.count()).select_from(Account)):
            return False
        rows = [{**account, "held_cents": 0, "captured_cents": 0} for account in DEMO_ACCOUNTS]
        await _insert_ignoring_conflicts(session, rows)
        return True


async def _insert_ignoring_conflicts(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: a concurrent seeder's rows win, ours are skipped."""
    is_postgres = session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if is_postgres else sqlite.insert
    await session.execute(insert(Account).values(rows).on_conflict_do_nothing())
