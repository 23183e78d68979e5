"""A first figure for the saga's speed, against a running `ordersaga dev`.

    .venv/bin/ordersaga dev &            # in another terminal
    .venv/bin/python benchmarks/saga_latency.py --orders 40

Prints the latency of happy-path sagas started one after another (start to result, through the
Temporal client) and the throughput of the same number started at once. The full benchmark
(memory, the local-activity floor beside it) is its own piece of work.
"""

import argparse
import asyncio
import statistics
import time
import uuid

from temporalio.client import Client

from ordersaga.contracts.orders import OrderLine, OrderStatus
from ordersaga.contracts.saga import PlaceOrder
from ordersaga.settings import TemporalSettings
from ordersaga.temporal import connect, workflow_id
from workflows.order_saga import OrderSaga


async def one_saga(client: Client, task_queue: str) -> float:
    order = PlaceOrder(
        order_id=uuid.uuid4().hex,
        customer_id="alice",
        items=[OrderLine(sku="SKU-42", quantity=1)],
        payment_method="card-4242",
    )
    began = time.perf_counter()
    state = await client.execute_workflow(
        OrderSaga.run, order, id=workflow_id(order.order_id), task_queue=task_queue
    )
    if state.status != OrderStatus.COMPLETED:
        raise RuntimeError(f"order {order.order_id} ended {state.status}: {state.reason}")
    return time.perf_counter() - began


async def main(orders: int) -> None:
    settings = TemporalSettings()
    client = await connect(settings)
    latencies = sorted([await one_saga(client, settings.task_queue) for _ in range(orders)])
    began = time.perf_counter()
    await asyncio.gather(*(one_saga(client, settings.task_queue) for _ in range(orders)))
    elapsed = time.perf_counter() - began
    p90 = latencies[int(len(latencies) * 0.9) - 1]
    print(
        f"sequential: {orders} sagas, median {statistics.median(latencies) * 1000:.0f} ms, "
        f"p90 {p90 * 1000:.0f} ms"
    )
    print(f"concurrent: {orders} sagas in {elapsed:.2f} s, {orders / elapsed:.1f} sagas/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=40)
    asyncio.run(main(parser.parse_args().orders))
