"""The tables every participant keeps beside its state: processed commands and its event log.

They are plain Core tables attached to each service's own MetaData, so each service owns its
copy in its own database.
"""

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
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


def messaging_tables(metadata: MetaData) -> MessagingTables:
    processed = Table(
        "processed_commands",
        metadata,
        Column("command_id", String(200), primary_key=True),
        Column("kind", String(64), nullable=False),
        Column("reply", Text, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    events = Table(
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
    )
    sequence = Table(
        "event_sequence",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("last_seq", BigInteger, nullable=False),
    )
    return MessagingTables(processed, events, sequence)
