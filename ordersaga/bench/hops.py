"""One hop of a saga alone, in the same run, one round trip at a time:

- **bus**: a bare request/reply over RabbitMQ to a quorum queue (as commands travel), answered
  by an echo consumer in this process: the least a command's round trip costs on this machine;
- **query**: a GetHead to inventory: a service's consumer path with one read and no write;
- **command**: a ReserveStock to inventory: that path with its transaction (eleven statements,
  the commit synced to disk), its reply, and the event its outbox relay then publishes.

Each gives the round trip's latency and the CPU per round trip of this process (for the bus:
both ends), inventory and RabbitMQ: what a step costs before Temporal and the worker add theirs.
"""

import uuid
from typing import Any

from aio_pika import Message
from aio_pika.abc import AbstractIncomingMessage

from ordersaga.bench.load import Run, sequential
from ordersaga.bench.processes import watching
from ordersaga.bench.progress import Progress
from ordersaga.bench.seeding import Catalog
from ordersaga.bench.system import System
from ordersaga.contracts.commands import ReserveStock
from ordersaga.contracts.orders import OrderLine
from ordersaga.contracts.snapshots import GetHead
from ordersaga.rabbitmq.connection import connect
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import Topology

TIMEOUT_SECONDS = 10.0
ROLES = ("bench", "inventory", "rabbitmq")


async def hop_figures(
    system: System, catalog: Catalog, rabbitmq_url: str, count: int, progress: Progress
) -> dict[str, Any]:
    topology = Topology(system.bus_prefix)
    async with await connect(rabbitmq_url, "bench-hops") as connection:
        client = RequestClient(connection, topology)
        await client.start()
        channel = await connection.channel()
        echo = await channel.declare_queue(
            f"{system.bus_prefix}.bench-echo", durable=True, arguments={"x-queue-type": "quorum"}
        )

        async def answer(message: AbstractIncomingMessage) -> None:
            reply = Message(message.body, correlation_id=message.correlation_id)
            await channel.default_exchange.publish(reply, routing_key=message.reply_to or "")
            await message.ack()

        async def bus(_: int) -> object:
            return await client.request(echo.name, GetHead(), uuid.uuid4().hex, TIMEOUT_SECONDS)

        async def query(_: int) -> object:
            queue = topology.query_queue("inventory")
            return await client.request(queue, GetHead(), uuid.uuid4().hex, TIMEOUT_SECONDS)

        async def command(n: int) -> object:
            order_id = f"bench-hop-{uuid.uuid4().hex}"
            reserve = ReserveStock(
                command_id=f"{order_id}:reserve-stock",
                order_id=order_id,
                items=[OrderLine(sku=catalog.sku(n), quantity=1)],
            )
            return await client.send_command("inventory", reserve, TIMEOUT_SECONDS)

        tag = await echo.consume(answer)
        figures: dict[str, Any] = {}
        try:
            for name, one in (("bus", bus), ("query", query), ("command", command)):
                tick = progress.phase(f"one hop at a time: {name}", count)
                async with watching(system.processes) as cpu:
                    run = await sequential(one, count, tick)
                figures[name] = _figures(run, cpu)
        finally:
            await echo.cancel(tag)
            await echo.delete(if_unused=False, if_empty=False)
            await client.close()
    return figures


def _figures(run: Run, cpu: dict[str, dict[str, Any]]) -> dict[str, Any]:
    done = max(1, len(run.latencies))
    figures = run.figures()
    return {
        "p50_ms": figures["p50_ms"],
        "p99_ms": figures["p99_ms"],
        "failed": figures["failed"],
        "cpu_ms_per_round_trip": {
            role: round(cpu[role]["cpu_s"] * 1000 / done, 2) for role in ROLES if role in cpu
        },
    }
