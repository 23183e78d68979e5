"""What the API accepts and answers."""

import hashlib
import json
from typing import Annotated

from pydantic import BaseModel, Field

from ordersaga.contracts.orders import OrderLine, OrderStatus
from ordersaga.contracts.saga import SagaState, StepRecord

CustomerId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class OrderCreate(BaseModel):
    """An order as a customer places it."""

    customer_id: CustomerId = Field(examples=["alice"])
    items: list[OrderLine] = Field(min_length=1, max_length=50)
    payment_method: str = Field(min_length=1, max_length=64, examples=["card-4242"])

    def fingerprint(self) -> str:
        """Tells a retried request from a different one under the same Idempotency-Key: the
        SHA-256 of the request's canonical JSON (validated, sorted keys, no spaces)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class OrderPublic(BaseModel):
    """An order as the saga reports it: status, the reason it ended so, total, step log."""

    order_id: str
    customer_id: str
    status: OrderStatus
    reason: str | None = None
    reason_code: str | None = None
    total_cents: int | None = None
    steps: list[StepRecord] = []

    @classmethod
    def of(cls, state: SagaState) -> "OrderPublic":
        return cls.model_validate(state.model_dump())


class OrderCancel(BaseModel):
    reason: str = Field(default="cancelled by customer", min_length=1, max_length=500)


class Problem(BaseModel):
    detail: str
