"""Migration steps for the messaging tables every service keeps (see messaging_tables.py).

A migration must not change once released, so each function here is a frozen version: a later
change to the tables gets a new function (`..._v2`) and a new revision in every service.
"""

import sqlalchemy as sa
from alembic import op


def create_messaging_tables_v1() -> None:
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


def drop_messaging_tables_v1() -> None:
    for table in ("event_sequence", "events", "processed_commands"):
        op.drop_table(table)


def create_messaging_tables_v2() -> None:
    """v2: an event row that cannot be published is parked with its reason; a lease table lets
    exactly one outbox relay publish per database."""
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("parked_reason", sa.Text()))
    op.create_table(
        "leases",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )


def drop_messaging_tables_v2() -> None:
    op.drop_table("leases")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("parked_reason")


def add_trace_context_v3() -> None:
    """v3: an event row keeps the trace context of the transaction that recorded it (NULL with
    tracing off), so the relay publishes it in the same trace."""
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("trace_context", sa.Text()))


def drop_trace_context_v3() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("trace_context")
