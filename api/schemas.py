"""What the API accepts and answers."""

import hashlib
import json
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ordersaga.contracts.commands import MAX_CREDIT_LIMIT_CENTS, MAX_ON_HAND, MAX_UNIT_PRICE_CENTS
from ordersaga.contracts.orders import OrderLine, Sku
from ordersaga.contracts.saga import SagaState

CustomerId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]

MAX_UNITS_PER_ORDER = 10_000


def _as_inventory_sees_them(items: list[OrderLine]) -> list[OrderLine]:
    """Inventory merges lines by SKU; refuse here what it would have to refuse there."""
    skus = [line.sku for line in items]
    if twice := sorted({sku for sku in skus if skus.count(sku) > 1}):
        raise ValueError(f"each SKU goes on one line; {', '.join(twice)} appears more than once")
    if (units := sum(line.quantity for line in items)) > MAX_UNITS_PER_ORDER:
        raise ValueError(f"{units} units in all; an order takes at most {MAX_UNITS_PER_ORDER}")
    return items


PRINTABLE = r"^[^\x00-\x1F\x7F-\x9F]*$"
"""No control characters (a NUL cannot even be stored in PostgreSQL text)."""


def _not_a_card_number(token: str) -> str:
    if re.search(r"\d{12}", token):
        raise ValueError("a payment token, not a card number: no run of 12 or more digits")
    return token


PaymentToken = Annotated[
    str,
    AfterValidator(_not_a_card_number),
    Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,63}$",
        examples=["card-4242"],
        description="a payment token from the payment provider (never a card number)",
    ),
]

OrderLines = Annotated[
    list[OrderLine], Field(min_length=1, max_length=50), AfterValidator(_as_inventory_sees_them)
]


class OrderCreate(BaseModel):
    """An order as a customer places it."""

    customer_id: CustomerId | None = Field(
        default=None,
        examples=["alice"],
        description="the caller's own with a customer's key; an operator's key names one",
    )
    items: OrderLines
    payment_method: PaymentToken

    def fingerprint(self) -> str:
        """Tells a retried request from a different one under the same Idempotency-Key: the
        SHA-256 of the request's canonical JSON (validated, sorted keys, no spaces)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class OrderPublic(SagaState):
    """An order as the saga reports it: status, the reason it ended so, total, step log."""

    consistency_token: str | None = None
    """Send it back (X-Consistency-Token) and a read waits until the view has this write."""

    @classmethod
    def of(cls, state: SagaState) -> "OrderPublic":
        return cls.model_validate(state.model_dump())


class OrderCancel(BaseModel):
    reason: str = Field(
        default="cancelled by customer",
        min_length=1,
        max_length=500,
        pattern=PRINTABLE,
        description="any language; no control characters",
    )


class Problem(BaseModel):
    detail: str


STRICT = ConfigDict(strict=True)
"""An operator's numbers and flags as JSON gives them: `"5"` or `1.5` is no quantity, `0` no
boolean."""


class ProductCreate(BaseModel):
    """A product as an operator adds it: a new SKU, its name and price, and its first stock."""

    model_config = STRICT

    sku: Sku
    name: str = Field(min_length=1, max_length=200, pattern=PRINTABLE, examples=["Kettle"])
    unit_price_cents: int = Field(ge=0, le=MAX_UNIT_PRICE_CENTS, examples=[4900])
    on_hand: int = Field(default=0, ge=0, le=MAX_ON_HAND, examples=[20])


class ProductPublic(BaseModel):
    """The product as inventory holds it once the add took effect. `existed`: it was there
    already with this name and price, and nothing changed (`on_hand` is its stock now)."""

    sku: str
    name: str
    unit_price_cents: int
    on_hand: int
    existed: bool
    consistency_token: str | None = None


class RestockCreate(BaseModel):
    model_config = STRICT

    quantity: int = Field(ge=1, le=MAX_ON_HAND, examples=[50], description="units to add")


class RestockPublic(BaseModel):
    """The restock as inventory took it: `on_hand` is the SKU's stock right after it."""

    sku: str
    quantity: int
    on_hand: int
    consistency_token: str | None = None


class AccountCreate(BaseModel):
    """A customer's account as an operator opens it. Any payment token is accepted on it but
    `card-declined`; a blocked account declines every one."""

    model_config = STRICT

    customer_id: CustomerId = Field(examples=["dave"])
    credit_limit_cents: int = Field(ge=0, le=MAX_CREDIT_LIMIT_CENTS, examples=[500_000])
    blocked: bool = False


class AccountPublic(BaseModel):
    """The account as payment holds it. `existed`: it was there already with this limit and
    blocking, and nothing changed."""

    customer_id: str
    credit_limit_cents: int
    blocked: bool
    existed: bool
    consistency_token: str | None = None
