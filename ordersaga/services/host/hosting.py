"""The host: runs one Service. Its database at head (demo data in an empty one if asked), its
command consumer (exactly once, commands.py), its query consumer (queries.py) and its outbox
relay, started together and stopped together.

`hosting(service, settings)` is the whole lifecycle as an async context manager (tests run the
real service in-process this way); `serve(service, settings)` is a process's main: it runs until
SIGINT or SIGTERM, and serves /metrics when ORDERSAGA_METRICS_PORT is set. Commands, dead
letters and the outbox backlog are recorded through the `meter` given to `hosting` (none by
default; the worker gives the orders service its Temporal runtime's).

Leaving it stops in order: the consumers stop taking messages and drain (the commands and
queries in flight get `settings.shutdown_seconds` to finish, reply and ack; the rest stay
unacked for redelivery), then the relay stops after the batch at hand (an event it has not
published waits in the outbox for the next relay), then the connection and the database close.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aio_pika.abc import AbstractRobustConnection

from ordersaga.contracts.replies import Reply
from ordersaga.database.engine import Sessions
from ordersaga.database.messaging_tables import messaging_tables
from ordersaga.database.migrated import migrated_database
from ordersaga.rabbitmq.connection import connect
from ordersaga.rabbitmq.topology import Topology, declare_command_queue
from ordersaga.services.host.backlog import watching_backlog
from ordersaga.services.host.commands import Commands
from ordersaga.services.host.consumer import Consumer
from ordersaga.services.host.queries import Queries
from ordersaga.services.host.relay import OutboxRelay, stopped
from ordersaga.services.host.service import Service
from ordersaga.settings import ServiceSettings
from ordersaga.telemetry.metrics import NO_METER, Meter
from ordersaga.telemetry.prometheus_meter import serving_metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hosted:
    """A running service, as tests and tools reach into it."""

    sessions: Sessions
    commands: Commands
    relay: OutboxRelay

    async def handle(self, command: Any) -> Reply:
        """What the command consumer does with a command, minus the bus."""
        reply = await self.commands.handle(command)
        self.relay.notify()
        return reply


@contextlib.asynccontextmanager
async def hosting(
    service: Service, settings: ServiceSettings, meter: Meter = NO_METER
) -> AsyncIterator[Hosted]:
    demo = service.demo_data if settings.seed else None
    url = settings.database_url(service.name)
    topology = Topology(settings.bus_prefix)
    async with migrated_database(url, service.migrations, demo) as sessions:
        tables = messaging_tables(service.tables)
        commands = Commands(service, sessions, tables, meter)
        queries = Queries(service, sessions, tables)
        relay = OutboxRelay(service.name, sessions, tables, topology)
        hosted = Hosted(sessions, commands, relay)
        connection = await connect(settings.rabbitmq_url, f"{service.name}-service")
        async with connection, contextlib.AsyncExitStack() as stack:
            consumers = [
                await _consume_queries(
                    connection, service.name, queries, topology, settings.prefetch, meter
                ),
            ]
            if service.rules:  # the orders service takes no commands: the saga writes it
                consumers.append(
                    await _consume_commands(
                        connection, service.name, hosted, topology, settings, meter
                    )
                )
            relaying = asyncio.create_task(relay.run(connection))
            stack.push_async_callback(stopped, relay, relaying)
            await stack.enter_async_context(watching_backlog(service.name, sessions, tables, meter))
            stack.push_async_callback(_drain, consumers, settings.shutdown_seconds)
            yield hosted


async def serve(service: Service, settings: ServiceSettings, stop: asyncio.Event) -> None:
    async with serving_metrics(settings) as meter, hosting(service, settings, meter):
        log.info("%s serving", service.name)
        await stop.wait()
        log.info("%s stopping: draining the messages in flight (up to %.0fs)",
                 service.name, settings.shutdown_seconds)  # fmt: skip


async def _drain(consumers: list[Consumer], seconds: float) -> None:
    """Stop every consumer at once, each draining within the same bound."""
    await asyncio.gather(*(consumer.stop(seconds) for consumer in consumers))


async def _consume_commands(
    connection: AbstractRobustConnection,
    name: str,
    hosted: Hosted,
    topology: Topology,
    settings: ServiceSettings,
    meter: Meter,
) -> Consumer:
    channel = await connection.channel(publisher_confirms=True)
    # Prefetch bounds the commands handled at once: enough to keep the database busy, few enough
    # that a crash redelivers a small batch.
    await channel.set_qos(prefetch_count=settings.prefetch)
    queue = await declare_command_queue(channel, topology, name)
    consumer = Consumer(channel, topology, name, hosted.commands.parse, hosted.handle, meter)
    await consumer.start(queue)
    return consumer


async def _consume_queries(
    connection: AbstractRobustConnection,
    name: str,
    queries: Queries,
    topology: Topology,
    prefetch: int,
    meter: Meter,
) -> Consumer:
    """Answer the service's queries (its own, and its feed, head and snapshot)."""
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=prefetch)
    queue = await channel.declare_queue(
        topology.query_queue(name), auto_delete=True, arguments={"x-message-ttl": 10_000}
    )
    consumer = Consumer(channel, topology, name, queries.parse, queries.handle, meter)
    await consumer.start(queue)
    return consumer
