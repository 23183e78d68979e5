"""The OrderSaga workflow's input, its query result and its update arguments."""

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from ordersaga.contracts.orders import OrderLine, OrderStatus


class SagaTimeouts(BaseModel):
    """Deadlines of the saga; the defaults suit production, tests shorten them."""

    step_seconds: float = Field(default=30.0, gt=0, description="deadline of one forward step")
    attempt_seconds: float = Field(default=5.0, gt=0, description="wait for one reply")
    compensation_seconds: float = Field(
        default=120.0, gt=0, description="retry window of a compensation before NEEDS_ATTENTION"
    )

    @property
    def step(self) -> timedelta:
        return timedelta(seconds=self.step_seconds)

    @property
    def attempt(self) -> timedelta:
        return timedelta(seconds=min(self.attempt_seconds, self.step_seconds))

    @property
    def compensation(self) -> timedelta:
        return timedelta(seconds=self.compensation_seconds)


class PlaceOrder(BaseModel):
    """The saga's input: one order as the customer placed it."""

    order_id: str
    customer_id: str
    items: list[OrderLine] = Field(min_length=1)
    payment_method: str
    timeouts: SagaTimeouts = SagaTimeouts()


StepOutcome = Literal["started", "done", "failed", "compensated", "compensation-failed"]


class StepRecord(BaseModel):
    """One line of the saga's step log."""

    step: str
    outcome: StepOutcome
    detail: str = ""
    at: datetime


class SagaState(BaseModel):
    """What the `state` query returns, and the workflow's result."""

    order_id: str
    customer_id: str
    status: OrderStatus
    reason: str | None = None
    reason_code: str | None = None
    """Why it was rejected or cancelled, as a code (the RejectionReason search attribute)."""
    total_cents: int | None = None
    steps: list[StepRecord] = []


class CancelOrder(BaseModel):
    reason: str = Field(default="cancelled by customer", max_length=500)
