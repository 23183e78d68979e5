"""What the API accepts and answers."""

import hashlib
from typing import Annotated

from pydantic import BaseModel, Field

from contracts.orders import OrderLine, OrderStatus
from contracts.saga import SagaState, StepRecord

CustomerId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class OrderCreate(BaseModel):
    """An order as a customer places it."""

    customer_id: CustomerId = Field(examples=["alice"])
    items: list[OrderLine] = Field(min_length=1, max_length=50)
    payment_method: str = Field(min_length=1, max_length=64, examples=["card-4242"])

    def fingerprint(self) -> str:
        """Tells a retried request from a different one under the same Idempotency-Key."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


class OrderPublic(BaseModel):
    order_id: str
    customer_id: str
    status: OrderStatus
    reason: str | None = None
    total_cents: int | None = None
    steps: list[StepRecord] = []

    @classmethod
    def of(cls, state: SagaState) -> "OrderPublic":
        return cls.model_validate(state.model_dump())


class CancelRequest(BaseModel):
    reason: str = Field(default="cancelled by customer", min_length=1, max_length=500)


class Problem(BaseModel):
    detail: str
