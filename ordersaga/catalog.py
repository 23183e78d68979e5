"""An operator's commands over the bus, for any caller with a RequestClient (the API, the CLI, a
benchmark seeding its own SKUs and customers): add a product, restock it, open an account.

Each sends one command to its service and waits for the reply: the event it produced, or a
`CatalogRefused` with the service's code and reason. The command id is the caller's, or a fresh
one; the service handles a command id once, so sending a command again with the same id (after
a timeout, say) never applies it twice: it is answered from the stored reply. An add or an open
of something that is there already with the same data is answered `existed=True` and changes
nothing, so seeding the same products and accounts again is safe; each restock adds stock.

    requests = RequestClient(connection, Topology(prefix)); await requests.start()
    await add_product(requests, "BENCH-1", "Bench item", unit_price_cents=100, on_hand=1000)
    await restock(requests, "BENCH-1", 500)
    await open_account(requests, "bench-1", credit_limit_cents=10_000_000)

(Not the projector's catalog of builds, `ordersaga/projector/catalog.py`.)
"""

import uuid
from typing import TypeVar

from pydantic import BaseModel

from ordersaga.contracts.commands import AddProduct, OpenAccount, OperatorCommand, Restock
from ordersaga.contracts.events import AccountOpened, CommandRejected, ProductAdded, StockRestocked
from ordersaga.contracts.rejections import RejectionCode
from ordersaga.rabbitmq.request_reply import RequestClient

TIMEOUT_SECONDS = 10.0

E = TypeVar("E", bound=BaseModel)


class CatalogRefused(Exception):  # noqa: N818 - a refusal is an answer, not a fault
    """The service refused the command (ProductExists, UnknownSku, InvalidQuantity,
    AccountExists); it changed nothing."""

    def __init__(self, code: RejectionCode, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code, self.reason = code, reason


class UnexpectedReply(RuntimeError):
    """The service answered with something that is not this command's event."""


def new_command_id(kind: str) -> str:
    return f"catalog:{kind}:{uuid.uuid4().hex}"


async def add_product(
    requests: RequestClient,
    sku: str,
    name: str,
    unit_price_cents: int,
    on_hand: int = 0,
    *,
    command_id: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> ProductAdded:
    """Add a SKU to inventory with its first stock; `existed` if it was there with this name
    and price. Raises CatalogRefused (ProductExists), TimeoutError, pydantic's ValidationError
    for arguments out of bounds."""
    command = AddProduct(
        command_id=command_id or new_command_id("add-product"),
        sku=sku,
        name=name,
        unit_price_cents=unit_price_cents,
        on_hand=on_hand,
    )
    return await send("inventory", requests, command, ProductAdded, timeout)


async def restock(
    requests: RequestClient,
    sku: str,
    quantity: int,
    *,
    command_id: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> StockRestocked:
    """Put `quantity` more units of a SKU on hand. Raises CatalogRefused (UnknownSku,
    InvalidQuantity), TimeoutError, pydantic's ValidationError."""
    command = Restock(
        command_id=command_id or new_command_id("restock"), sku=sku, quantity=quantity
    )
    return await send("inventory", requests, command, StockRestocked, timeout)


async def open_account(
    requests: RequestClient,
    customer_id: str,
    credit_limit_cents: int,
    *,
    blocked: bool = False,
    command_id: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> AccountOpened:
    """Open a customer's account with its credit limit (a blocked one declines every card);
    `existed` if it was there with this limit and blocking. Raises CatalogRefused
    (AccountExists), TimeoutError, pydantic's ValidationError."""
    command = OpenAccount(
        command_id=command_id or new_command_id("open-account"),
        customer_id=customer_id,
        credit_limit_cents=credit_limit_cents,
        blocked=blocked,
    )
    return await send("payment", requests, command, AccountOpened, timeout)


async def send(
    service: str,
    requests: RequestClient,
    command: OperatorCommand,
    expected: type[E],
    timeout: float = TIMEOUT_SECONDS,
) -> E:
    """Send `command` to `service`; its event, or CatalogRefused with the service's reason."""
    reply = await requests.send_command(service, command, timeout)
    if isinstance(reply.body, CommandRejected):
        raise CatalogRefused(reply.body.code, reply.body.reason)
    if not isinstance(reply.body, expected):
        raise UnexpectedReply(f"{service} answered {command.kind} with {reply.body.kind}")
    return reply.body
