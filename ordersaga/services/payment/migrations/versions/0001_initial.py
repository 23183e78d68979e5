"""accounts, authorizations and payment's messaging tables

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ordersaga.database.messaging_migrations import (
    create_messaging_tables_v1,
    drop_messaging_tables_v1,
)

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("customer_id", sa.String(100), primary_key=True),
        sa.Column("credit_limit_cents", sa.Integer(), nullable=False),
        sa.Column("held_cents", sa.Integer(), nullable=False),
        sa.Column("captured_cents", sa.Integer(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "held_cents >= 0 AND held_cents + captured_cents <= credit_limit_cents",
            name="ck_accounts_within_limit",
        ),
    )
    op.create_table(
        "authorizations",
        sa.Column("order_id", sa.String(100), primary_key=True),
        sa.Column("authorization_id", sa.String(120), nullable=False),
        sa.Column("customer_id", sa.String(100)),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    create_messaging_tables_v1()


def downgrade() -> None:
    drop_messaging_tables_v1()
    op.drop_table("authorizations")
    op.drop_table("accounts")
