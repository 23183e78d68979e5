"""Alembic, run from code: each service upgrades its own database to head when it starts.

Each service keeps its migrations in `<service>/migrations`; its env.py only calls
`configure_from_code(metadata)`.
"""

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

_LOCK_ID = 7_202_611  # any constant: serialises concurrent upgrades of one PostgreSQL database


async def upgrade_to_head(engine: AsyncEngine, migrations: Path) -> None:
    """Upgrade to the newest revision in `migrations` (a service's Alembic folder)."""
    config = Config()
    config.set_main_option("script_location", str(migrations))
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK_ID})"))
        await connection.run_sync(_upgrade, config)


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def configure_from_code(target_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
