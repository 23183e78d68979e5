"""Payment's query: the event feed a projector catches up from. It changes nothing."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.queries import FeedPage, ReadFeed
from payment.models import TABLES
from persistence.event_log import read_feed

SOURCE = "payment"

Sessions = async_sessionmaker[AsyncSession]


async def handle_query(sessions: Sessions, query: ReadFeed) -> FeedPage:
    async with sessions() as session, session.begin():
        events = await read_feed(session, TABLES, SOURCE, query.after_seq, query.limit)
    return FeedPage(events=events)
