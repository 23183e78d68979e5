"""accounts, authorizations and payment's messaging tables

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

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
    create_messaging_tables()


def create_messaging_tables() -> None:
    """A frozen copy of persistence.messaging_tables as of this revision."""
    op.create_table(
        "processed_commands",
        sa.Column("command_id", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), index=True),
    )
    sequence = op.create_table(
        "event_sequence",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(sequence, [{"id": 1, "last_seq": 0}])


def downgrade() -> None:
    for table in ("event_sequence", "events", "processed_commands", "authorizations", "accounts"):
        op.drop_table(table)
