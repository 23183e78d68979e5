"""messaging tables v2: parked events, relay leases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from ordersaga.database.messaging_migrations import (
    create_messaging_tables_v2,
    drop_messaging_tables_v2,
)

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_messaging_tables_v2()


def downgrade() -> None:
    drop_messaging_tables_v2()
