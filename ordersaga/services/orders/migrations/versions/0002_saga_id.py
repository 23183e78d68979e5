"""the saga that placed each order, so a reused order id is told from a retry

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("saga_id", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("saga_id")
