"""`ordersaga catalog add-product|restock|open-account`: an operator's commands, sent on the bus
to inventory or payment (ORDERSAGA_RABBITMQ_URL, ORDERSAGA_BUS_PREFIX) as the API sends them.

Each takes an operator's key (ORDERSAGA_API_KEY) and prints what the service did. A refusal
exits 1 with its reason; no answer in time exits 2 and names the command id: the command waits
in its queue and may still be applied, and running it again with `--command-id` is the same
command, answered from the service's stored reply, never applied twice.
"""

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, TypeVar
from urllib.parse import urlparse

import typer
from pydantic import ValidationError

from ordersaga import catalog
from ordersaga.cli.operator import require_operator
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.settings import ProcessSettings

HELP = "An operator's catalog: add products, restock them, open customers' accounts."
app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False)
T = TypeVar("T")

CommandId = Annotated[
    str | None,
    typer.Option(help="the command's id (default: a new one); the same id is applied once"),
]
Timeout = Annotated[float, typer.Option(help="seconds to wait for the service's answer")]


@app.command("add-product")
def add_product(
    sku: Annotated[str, typer.Argument(help="the new SKU, e.g. SKU-99")],
    name: Annotated[str, typer.Option(help="what the product is called")],
    price_cents: Annotated[int, typer.Option(help="its unit price, in cents")],
    on_hand: Annotated[int, typer.Option(help="its first stock")] = 0,
    command_id: CommandId = None,
    timeout: Timeout = catalog.TIMEOUT_SECONDS,
) -> None:
    """Add a SKU to inventory with its name, price and first stock. Adding it again with the
    same name and price changes nothing; with another, it is refused."""
    cid = command_id or catalog.new_command_id("add-product")
    send = partial(
        catalog.add_product,
        sku=sku,
        name=name,
        unit_price_cents=price_cents,
        on_hand=on_hand,
        command_id=cid,
        timeout=timeout,
    )
    added = _send(cid, send)
    what = f"{added.sku} {added.name!r} at {added.unit_price_cents} cents"
    if added.existed:
        typer.echo(f"{what} was there already ({added.on_hand} on hand): nothing changed")
    else:
        typer.echo(f"added {what}, {added.on_hand} on hand")


@app.command()
def restock(
    sku: Annotated[str, typer.Argument(help="a SKU inventory has")],
    quantity: Annotated[int, typer.Argument(help="units to add to its stock")],
    command_id: CommandId = None,
    timeout: Timeout = catalog.TIMEOUT_SECONDS,
) -> None:
    """Put QUANTITY more units of SKU on hand (each command id restocks once)."""
    cid = command_id or catalog.new_command_id("restock")
    done = _send(
        cid, partial(catalog.restock, sku=sku, quantity=quantity, command_id=cid, timeout=timeout)
    )
    typer.echo(f"restocked {done.quantity} x {done.sku}: {done.on_hand} on hand")


@app.command("open-account")
def open_account(
    customer: Annotated[str, typer.Argument(help="the customer's id, e.g. dave")],
    credit_limit_cents: Annotated[int, typer.Option(help="the account's credit limit, in cents")],
    blocked: Annotated[bool, typer.Option(help="decline every card on it")] = False,
    command_id: CommandId = None,
    timeout: Timeout = catalog.TIMEOUT_SECONDS,
) -> None:
    """Open a customer's account with its credit limit. Any payment token is accepted on it but
    `card-declined`; a --blocked account declines every one. Opening it again with the same
    limit and blocking changes nothing; otherwise it is refused."""
    cid = command_id or catalog.new_command_id("open-account")
    send = partial(
        catalog.open_account,
        customer_id=customer,
        credit_limit_cents=credit_limit_cents,
        blocked=blocked,
        command_id=cid,
        timeout=timeout,
    )
    opened = _send(cid, send)
    what = f"{opened.customer_id}'s account, limit {opened.credit_limit_cents} cents"
    what += ", blocked" if opened.blocked else ""
    if opened.existed:
        typer.echo(f"{what}, was there already: nothing changed")
    else:
        typer.echo(f"opened {what}")


def _send(command_id: str, send: Callable[[RequestClient], Awaitable[T]]) -> T:
    """Run `send` on a request client of the bus; a refusal, a bad argument, no answer and no
    broker each end the command with its reason."""
    require_operator()
    settings = ProcessSettings()
    try:
        return asyncio.run(_on_the_bus(settings, send))
    except catalog.CatalogRefused as refusal:
        typer.echo(f"refused ({refusal.code}): {refusal.reason}", err=True)
        raise typer.Exit(1) from None
    except ValidationError as error:
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"])
            typer.echo(f"refused: {field}: {problem['msg']}", err=True)
        raise typer.Exit(2) from None
    except TimeoutError:
        typer.echo(f"no answer in time: the command {command_id} waits in its queue and may "
                   f"still be applied; run again with --command-id {command_id} to learn its "
                   "outcome without applying it twice", err=True)  # fmt: skip
        raise typer.Exit(2) from None
    except ConnectionError as error:  # aiormq's AMQPConnectionError is one too
        where = urlparse(settings.rabbitmq_url)
        typer.echo(f"cannot reach RabbitMQ at {where.hostname}:{where.port}: {error}", err=True)
        raise typer.Exit(2) from None


async def _on_the_bus(
    settings: ProcessSettings, send: Callable[[RequestClient], Awaitable[T]]
) -> T:
    from ordersaga.rabbitmq.connection import connect
    from ordersaga.rabbitmq.topology import Topology

    async with await connect(settings.rabbitmq_url, "ordersaga-catalog") as connection:
        requests = RequestClient(connection, Topology(settings.bus_prefix))
        await requests.start()
        try:
            return await send(requests)
        finally:
            await requests.close()
