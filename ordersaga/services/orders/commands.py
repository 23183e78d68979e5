"""The orders database's commands: what the saga asks of the order it runs (activity inputs).

Fields added after a release have defaults, so inputs recorded by older sagas still parse.
"""

from typing import Literal

from pydantic import BaseModel

from ordersaga.contracts.saga import PlaceOrder


class CreateOrder(PlaceOrder):
    """The order as placed, and the saga placing it (None: a saga started before v4)."""

    saga_id: str | None = None


class ApproveOrder(BaseModel):
    order_id: str
    total_cents: int


class CompleteOrder(BaseModel):
    order_id: str


class CloseOrder(BaseModel):
    order_id: str
    status: Literal["REJECTED", "CANCELLED"]
    reason: str
    customer_id: str = ""
    saga_id: str | None = None
