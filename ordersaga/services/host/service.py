"""A service as the host runs it, declared in one place: its rules by command type, its queries
by query type, its tables, its migrations and its demo data.

    INVENTORY = Service(
        name="inventory",
        tables=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        rules={ReserveStock: reserve_stock, ReleaseStock: release_stock, ...},
        queries={GetStock: get_stock, ...},
        demo_data=DemoData(StockItem, DEMO_STOCK),
        state=inventory_state,
    )

The host does the rest (hosting.py): the database at head, exactly-once handling of every
command (commands.py), the query consumer with what every service answers (its feed
`ReadFeed`, its head `GetHead`, and `Snapshot`: `state` at its watermark), and the outbox relay.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.events import ParticipantEvent
from ordersaga.contracts.snapshots import ServiceState
from ordersaga.database.migrated import DemoData


@dataclass(frozen=True)
class Outcome:
    """What a rule did: the reply body, and whether it is also an event (a no-op is not)."""

    body: ParticipantEvent
    changed: bool = True


Rule = Callable[[AsyncSession, Any], Awaitable[Outcome]]
"""Applies one command inside the host's transaction; raises Rejected to refuse it."""

QueryHandler = Callable[[AsyncSession, Any], Awaitable[BaseModel]]
"""Answers one query inside a read-only transaction."""

StateReader = Callable[[AsyncSession], Awaitable[ServiceState]]
"""Reads the service's whole current state for a `Snapshot`, inside the host's transaction."""


@dataclass(frozen=True)
class Service:
    name: str
    tables: MetaData
    migrations: Path
    rules: Mapping[type[BaseModel], Rule]
    queries: Mapping[type[BaseModel], QueryHandler] = field(default_factory=dict)
    demo_data: DemoData | None = None
    state: StateReader | None = None

    @cached_property
    def commands(self) -> TypeAdapter[Any]:
        """Parses a command of this service from the bus, by its `kind`."""
        return by_kind(list(self.rules))

    def rule_for(self, command: BaseModel) -> Rule:
        return self.rules[type(command)]


def by_kind(types: list[type[BaseModel]]) -> TypeAdapter[Any]:
    """Parses any of `types` (each with a literal `kind`) by its kind."""
    if len(types) == 1:
        return TypeAdapter(types[0])
    union: Any = Annotated[Union[tuple(types)], Field(discriminator="kind")]  # noqa: UP007
    return TypeAdapter(union)
