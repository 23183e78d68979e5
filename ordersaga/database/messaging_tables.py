"""The tables every service keeps beside its own: processed commands, its event log (with the
sequence counter), and leases (one outbox relay per database).

They are plain Core tables attached to each service's own MetaData, so each service owns its
copy in its own database; `messaging_tables(metadata)` adds them once and hands back the same.
"""

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)


@dataclass(frozen=True)
class MessagingTables:
    processed_commands: Table
    events: Table
    event_sequence: Table
    leases: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    if "events" not in metadata.tables:
        _define(metadata)
    t = metadata.tables
    return MessagingTables(t["processed_commands"], t["events"], t["event_sequence"], t["leases"])


def _define(metadata: MetaData) -> None:
    Table(
        "processed_commands",
        metadata,
        Column("command_id", String(200), primary_key=True),
        Column("kind", String(64), nullable=False),
        Column("reply", Text, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "events",
        metadata,
        Column(
            "seq",
            BigInteger().with_variant(Integer, "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        Column("kind", String(64), nullable=False),
        Column("payload", Text, nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True, index=True),
        Column("parked_reason", Text, nullable=True),
        # The W3C trace context of the transaction that recorded the event (tracing on).
        Column("trace_context", Text, nullable=True),
    )
    Table(
        "event_sequence",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("last_seq", BigInteger, nullable=False),
    )
    Table(
        "leases",
        metadata,
        Column("name", String(100), primary_key=True),
        Column("holder", String(200), nullable=False),
        Column("expires_at", Float, nullable=False),
    )
