"""Commands the participants take: the saga's, each with a deterministic command_id, and an
operator's (add a product, restock it, open an account), each with the id its sender chose.

The command_id is `<workflow id>:<run id>:<step>` (sagas started before v4: `<workflow id>:<step>`),
the same for every attempt of a step within one run, so a retried activity re-sends the same
command and the participant answers it from its processed-commands table instead of acting twice.
A new run of the same order id (a key reused after retention, a reset) sends new ids: it is never
answered with an earlier run's replies.

An operator's command concerns no order: its id is the API's Idempotency-Key (namespaced by the
command), or one the CLI or a library caller passes, or a fresh uuid. Its refusal is a reply,
never an event.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ordersaga.contracts.orders import OrderLine, Sku

MAX_ON_HAND = 1_000_000_000
"""The most units of a SKU inventory holds: well inside its 32-bit stock columns."""

MAX_UNIT_PRICE_CENTS = 1_000_000_000
"""The highest unit price: one unit is then at most the largest order total inventory takes."""

MAX_CREDIT_LIMIT_CENTS = 2_000_000_000
"""The largest credit limit: held plus captured money stays inside the 32-bit money columns."""

PRINTABLE = r"^[^\x00-\x1F\x7F-\x9F]*$"
"""No control characters (a NUL cannot even be stored in PostgreSQL text)."""

CustomerId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class _Command(BaseModel):
    command_id: str = Field(min_length=1, max_length=200)
    order_id: str = Field(min_length=1, max_length=100)


class ReserveStock(_Command):
    kind: Literal["ReserveStock"] = "ReserveStock"
    items: list[OrderLine] = Field(min_length=1)


class ReleaseStock(_Command):
    kind: Literal["ReleaseStock"] = "ReleaseStock"
    reason: str


class CommitStock(_Command):
    """The order completed: its reservation becomes a sale (on hand and reserved both fall)."""

    kind: Literal["CommitStock"] = "CommitStock"


class AuthorizePayment(_Command):
    kind: Literal["AuthorizePayment"] = "AuthorizePayment"
    customer_id: str
    payment_method: str
    amount_cents: int = Field(ge=0)


class VoidAuthorization(_Command):
    kind: Literal["VoidAuthorization"] = "VoidAuthorization"
    reason: str


class CapturePayment(_Command):
    kind: Literal["CapturePayment"] = "CapturePayment"


class _OperatorCommand(BaseModel):
    command_id: str = Field(min_length=1, max_length=200)


class AddProduct(_OperatorCommand):
    """Inventory: a new SKU with its name, price and first stock. Adding it again with the same
    name and price changes nothing (answered `existed`); with another name or price it is
    refused (ProductExists). More stock comes with Restock."""

    kind: Literal["AddProduct"] = "AddProduct"
    sku: Sku
    name: str = Field(min_length=1, max_length=200, pattern=PRINTABLE)
    unit_price_cents: int = Field(ge=0, le=MAX_UNIT_PRICE_CENTS)
    on_hand: int = Field(default=0, ge=0, le=MAX_ON_HAND)


class Restock(_OperatorCommand):
    """Inventory: `quantity` more units of a SKU on hand (refused UnknownSku for a SKU it does
    not have, InvalidQuantity past MAX_ON_HAND). Every command id restocks once."""

    kind: Literal["Restock"] = "Restock"
    sku: Sku
    quantity: int = Field(ge=1, le=MAX_ON_HAND)


class OpenAccount(_OperatorCommand):
    """Payment: a customer's account with its credit limit; a `blocked` account's cards are
    all declined. Any payment token is accepted on an account but `card-declined`. Opening it
    again with the same limit and blocking changes nothing (answered `existed`); otherwise it
    is refused (AccountExists)."""

    kind: Literal["OpenAccount"] = "OpenAccount"
    customer_id: CustomerId
    credit_limit_cents: int = Field(ge=0, le=MAX_CREDIT_LIMIT_CENTS)
    blocked: bool = False


Command = (
    ReserveStock
    | ReleaseStock
    | CommitStock
    | AuthorizePayment
    | VoidAuthorization
    | CapturePayment
)
"""The saga's commands: each concerns an order."""

OperatorCommand = AddProduct | Restock | OpenAccount
"""An operator's commands: each concerns a product or an account."""
