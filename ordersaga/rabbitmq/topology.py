"""Every exchange and queue the system uses, named from one prefix so test runs never collide.

Command queues are quorum queues: durable, replicated in a cluster, and with a delivery limit,
so a command that keeps crashing its handler is dead-lettered by the broker instead of being
redelivered forever. Both the sender and the participant declare them with the same arguments,
so a command waits in its queue even while the participant is down.
"""

from dataclasses import dataclass
from typing import Any

from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

from ordersaga.rabbitmq.connection import connect

DELIVERY_LIMIT = 10


@dataclass(frozen=True)
class Topology:
    prefix: str = "ordersaga"

    def command_queue(self, service: str) -> str:
        return f"{self.prefix}.{service}.commands"

    def query_queue(self, service: str) -> str:
        return f"{self.prefix}.{service}.queries"

    def dead_letter_queue(self, service: str) -> str:
        return f"{self.prefix}.{service}.dead-letter"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.prefix}.dead-letter"

    @property
    def events_exchange(self) -> str:
        return f"{self.prefix}.events"

    @property
    def projector_queue(self) -> str:
        """Every event, for the read model's projector."""
        return f"{self.prefix}.projector.events"

    def reply_queue(self, client_id: str) -> str:
        return f"{self.prefix}.replies.{client_id}"


async def declare_command_queue(
    channel: AbstractChannel, topology: Topology, service: str
) -> AbstractQueue:
    """The service's command queue, with its dead-letter queue behind it."""
    await declare_dead_letter_queue(channel, topology, service)
    arguments: dict[str, Any] = {
        "x-queue-type": "quorum",
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-dead-letter-exchange": topology.dead_letter_exchange,
        "x-dead-letter-routing-key": topology.dead_letter_queue(service),
    }
    return await channel.declare_queue(
        topology.command_queue(service), durable=True, arguments=arguments
    )


async def declare_dead_letter_queue(
    channel: AbstractChannel, topology: Topology, service: str
) -> AbstractQueue:
    exchange = await channel.declare_exchange(
        topology.dead_letter_exchange, ExchangeType.DIRECT, durable=True
    )
    queue = await channel.declare_queue(topology.dead_letter_queue(service), durable=True)
    await queue.bind(exchange, routing_key=topology.dead_letter_queue(service))
    return queue


async def declare_events_exchange(channel: AbstractChannel, topology: Topology) -> AbstractExchange:
    return await channel.declare_exchange(
        topology.events_exchange, ExchangeType.TOPIC, durable=True
    )


PARTICIPANTS = ("inventory", "payment")
"""The services that take commands over the bus (and dead-letter them)."""
SOURCES = ("orders", "inventory", "payment")
"""The services whose event logs the read model is built from; each answers queries."""


async def delete_topology(rabbitmq_url: str, topology: Topology) -> None:
    """Delete every queue and exchange named from `topology`'s prefix (reply queues go with their
    connections): for a scratch system, a test's or the benchmark's, once it is done. Durable,
    they would otherwise outlive it on the broker."""
    async with await connect(rabbitmq_url, "topology-cleanup") as connection:
        channel = await connection.channel()
        for service in PARTICIPANTS:
            await channel.queue_delete(topology.command_queue(service))
            await channel.queue_delete(topology.dead_letter_queue(service))
        for source in SOURCES:
            await channel.queue_delete(topology.query_queue(source))
        await channel.queue_delete(topology.projector_queue)
        for exchange in (topology.events_exchange, topology.dead_letter_exchange):
            await channel.exchange_delete(exchange)
