"""`ordersaga repair commit-stock`: commit the stock that sagas before v4 left reserved.

Sagas that completed before v4 never told inventory the order completed, so their sale stayed a
reservation. This finds every open (RESERVED) reservation through inventory's own query, asks
Temporal how its order's saga ended, and sends CommitStock for those that COMPLETED. A running
saga's reservation is left alone: it commits its own. The command id is
`repair:<order>:commit-stock`, so a second run (or a second operator at once) is answered from
inventory's stored replies and changes nothing.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

import typer
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from ordersaga import temporal
from ordersaga.cli.operator import require_operator
from ordersaga.contracts.commands import CommitStock
from ordersaga.contracts.events import CommandRejected
from ordersaga.contracts.queries import ListReservations, ReservationInfo, ReservationPage
from ordersaga.rabbitmq.connection import connect
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import Topology
from ordersaga.settings import TemporalSettings

app = typer.Typer(help="Repairs an operator runs by hand; each is safe to run twice.")

TIMEOUT_SECONDS = 10.0


@dataclass
class StockRepair:
    dry_run: bool = False
    committed: list[str] = field(default_factory=list)
    left_alone: dict[str, str] = field(default_factory=dict)
    """Order id -> why its reservation was not committed."""

    def summary(self) -> str:
        done = "would commit" if self.dry_run else "committed"
        lines = [f"{done} the stock of {len(self.committed)} completed orders"]
        lines += [f"  {done} {order_id}" for order_id in self.committed]
        lines += [f"  left {order_id}: {why}" for order_id, why in self.left_alone.items()]
        return "\n".join(lines)


async def commit_stock_of_completed_orders(
    client: Client, requests: RequestClient, topology: Topology, dry_run: bool = False
) -> StockRepair:
    repair = StockRepair(dry_run)
    async for reservation in open_reservations(requests, topology):
        order_id = reservation.order_id
        if (why_not := await _not_completed(client, order_id)) is not None:
            repair.left_alone[order_id] = why_not
            continue
        if dry_run:
            repair.committed.append(order_id)
            continue
        command = CommitStock(command_id=f"repair:{order_id}:commit-stock", order_id=order_id)
        reply = await requests.send_command("inventory", command, TIMEOUT_SECONDS)
        if isinstance(reply.body, CommandRejected):
            repair.left_alone[order_id] = f"inventory refused: {reply.body.reason}"
        else:
            repair.committed.append(order_id)
    return repair


async def open_reservations(
    requests: RequestClient, topology: Topology
) -> AsyncIterator[ReservationInfo]:
    after: str | None = ""
    while after is not None:
        query = ListReservations(status="RESERVED", after_order_id=after)
        raw = await requests.request(
            topology.query_queue("inventory"), query, uuid.uuid4().hex, TIMEOUT_SECONDS
        )
        page = ReservationPage.model_validate_json(raw)
        for reservation in page.reservations:
            yield reservation
        after = page.next_after


async def _not_completed(client: Client, order_id: str) -> str | None:
    """None when the order's saga completed; otherwise why its stock must not be committed."""
    try:
        description = await client.get_workflow_handle(temporal.workflow_id(order_id)).describe()
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        return "Temporal has no saga for it (past retention?); check the order before committing"
    status = description.typed_search_attributes.get(temporal.ORDER_STATUS)
    if description.status == WorkflowExecutionStatus.COMPLETED and status == "COMPLETED":
        return None
    return f"its saga is {status} ({description.status.name if description.status else '?'})"


@app.command("commit-stock")
def commit_stock(
    dry_run: Annotated[
        bool, typer.Option(help="say what would be committed, commit nothing")
    ] = False,
) -> None:
    """Commit the reservations of orders whose saga completed (sagas before v4 left them)."""
    require_operator()
    typer.echo(asyncio.run(_run(TemporalSettings(), dry_run)).summary())


async def _run(settings: TemporalSettings, dry_run: bool) -> StockRepair:
    client = await temporal.connect(settings)
    topology = Topology(settings.bus_prefix)
    async with await connect(settings.rabbitmq_url, "repair") as connection:
        requests = RequestClient(connection, topology)
        await requests.start()
        return await commit_stock_of_completed_orders(client, requests, topology, dry_run)
