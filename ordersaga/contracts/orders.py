"""What an order is made of: the lines a customer asks for and the statuses it moves through."""

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

Sku = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{0,63}$", examples=["SKU-42"])]


class OrderLine(BaseModel):
    """One SKU and how many of it."""

    sku: Sku
    quantity: int = Field(ge=1, le=1000)


class PricedLine(OrderLine):
    """A line with the unit price inventory reserved it at."""

    unit_price_cents: int = Field(ge=0)


class OrderStatus(StrEnum):
    """Where an order stands; also the OrderStatus search attribute."""

    PENDING = "PENDING"
    RESERVED = "RESERVED"
    AUTHORIZED = "AUTHORIZED"
    APPROVED = "APPROVED"
    COMPLETED = "COMPLETED"
    COMPENSATING = "COMPENSATING"
    NEEDS_ATTENTION = "NEEDS_ATTENTION"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self in {OrderStatus.COMPLETED, OrderStatus.REJECTED, OrderStatus.CANCELLED}
