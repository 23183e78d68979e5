"""The runtime every participant process shares: its command consumer, its query consumer and
its outbox relay, started together and stopped together."""

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aio_pika.abc import AbstractRobustConnection
from pydantic import BaseModel, TypeAdapter
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


Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Participant:
    """One participant service as its package describes it: its message types, its handlers,
    its tables and its demo data. The package name also locates its migrations."""

    service: str
    command_type: Any
    query_type: Any
    handle_command: Callable[[Sessions, Any], Awaitable[BaseModel]]
    handle_query: Callable[[Sessions, Any], Awaitable[BaseModel]]
    tables: MessagingTables
    seed: Seed

    def spec(self, sessions: Sessions) -> ParticipantSpec:
        commands: TypeAdapter[Any] = TypeAdapter(self.command_type)
        queries: TypeAdapter[Any] = TypeAdapter(self.query_type)
        return ParticipantSpec(
            service=self.service,
            parse_command=commands.validate_json,
            handle_command=functools.partial(self.handle_command, sessions),
            parse_query=queries.validate_json,
            handle_query=functools.partial(self.handle_query, sessions),
        )

    @contextlib.asynccontextmanager
    async def running(
        self, settings: ParticipantSettings, db_url: str
    ) -> AsyncIterator[RunningParticipant]:
        """The whole lifecycle: the database at head (seeded if asked), then the consumers and
        the relay until the block exits. Tests run the real service this way."""
        seed = self.seed if settings.seed else None
        async with migrated_database(db_url, self.service, seed) as sessions:
            runtime = ParticipantRuntime(
                self.spec(sessions),
                settings.rabbitmq_url,
                settings.topology,
                sessions,
                self.tables,
                settings.prefetch,
            )
            try:
                await runtime.start()
                yield RunningParticipant(sessions, runtime)
            finally:
                await runtime.stop()

    async def run(self, settings: ParticipantSettings, db_url: str, stop: asyncio.Event) -> None:
        async with self.running(settings, db_url):
            await stop.wait()
