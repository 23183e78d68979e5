"""The runtime every participant process shares: its command consumer, its query consumer and
its outbox relay, started together and stopped together."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aio_pika.abc import AbstractRobustConnection
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from messaging.connection import connect
from messaging.consumer import Consumer
from messaging.outbox_relay import OutboxRelay
from messaging.topology import Topology, declare_command_queue
from persistence.database import Seed, migrated_database
from persistence.messaging_tables import MessagingTables
from settings.participant import ParticipantSettings


@dataclass(frozen=True)
class ParticipantSpec:
    """What makes one participant: its name, how it parses and handles commands and queries."""

    service: str
    parse_command: Callable[[bytes], Any]
    handle_command: Callable[[Any], Awaitable[BaseModel]]
    parse_query: Callable[[bytes], Any]
    handle_query: Callable[[Any], Awaitable[BaseModel]]


class ParticipantRuntime:
    def __init__(
        self,
        spec: ParticipantSpec,
        rabbitmq_url: str,
        topology: Topology,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        prefetch: int,
    ) -> None:
        self._spec = spec
        self._url = rabbitmq_url
        self._topology = topology
        self._prefetch = prefetch
        self.relay = OutboxRelay(spec.service, sessions, tables, topology)
        self._connection: AbstractRobustConnection | None = None
        self._consumers: list[Consumer[Any]] = []
        self._relay_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._connection = await connect(self._url, f"{self._spec.service}-participant")
        await self._start_commands(self._connection)
        await self._start_queries(self._connection)
        relay_channel = await self._connection.channel(publisher_confirms=True)
        self._relay_task = asyncio.create_task(self.relay.run(relay_channel))

    async def _start_commands(self, connection: AbstractRobustConnection) -> None:
        channel = await connection.channel(publisher_confirms=True)
        # Prefetch bounds the commands handled at once: enough to keep the database busy,
        # few enough that a crash redelivers a small batch.
        await channel.set_qos(prefetch_count=self._prefetch)
        queue = await declare_command_queue(channel, self._topology, self._spec.service)

        async def handle(command: Any) -> BaseModel:
            reply = await self._spec.handle_command(command)
            self.relay.notify()
            return reply

        consumer: Consumer[Any] = Consumer(
            channel, self._topology, self._spec.service, self._spec.parse_command, handle
        )
        await consumer.start(queue)
        self._consumers.append(consumer)

    async def _start_queries(self, connection: AbstractRobustConnection) -> None:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=self._prefetch)
        queue = await channel.declare_queue(
            self._topology.query_queue(self._spec.service),
            auto_delete=True,
            arguments={"x-message-ttl": 10_000},
        )
        consumer: Consumer[Any] = Consumer(
            channel,
            self._topology,
            self._spec.service,
            self._spec.parse_query,
            self._spec.handle_query,
        )
        await consumer.start(queue)
        self._consumers.append(consumer)

    async def stop(self) -> None:
        for consumer in self._consumers:
            with contextlib.suppress(Exception):
                await consumer.stop()
        if self._relay_task is not None:
            self._relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay_task
        if self._connection is not None:
            await self._connection.close()


@dataclass(frozen=True)
class RunningParticipant:
    sessions: async_sessionmaker[AsyncSession]
    runtime: ParticipantRuntime


@contextlib.asynccontextmanager
async def running_participant(
    settings: ParticipantSettings,
    package: str,
    db_url: str,
    make_spec: Callable[[async_sessionmaker[AsyncSession]], ParticipantSpec],
    tables: MessagingTables,
    seed: Seed | None,
) -> AsyncIterator[RunningParticipant]:
    """A participant's whole lifecycle: its database (migrations and models in `package`) at
    head and seeded if asked, then its consumers and relay until the block exits."""
    async with migrated_database(db_url, package, seed if settings.seed else None) as sessions:
        runtime = ParticipantRuntime(
            make_spec(sessions),
            settings.rabbitmq_url,
            settings.topology,
            sessions,
            tables,
            settings.prefetch,
        )
        try:
            await runtime.start()
            yield RunningParticipant(sessions, runtime)
        finally:
            await runtime.stop()
