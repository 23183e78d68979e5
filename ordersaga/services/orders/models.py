"""The orders table (the worker owns it; the host adds the messaging tables, its event log)."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """This service's own tables (the host adds the messaging tables every service keeps)."""


class Order(Base):
    """One order as its saga decided it: PENDING, APPROVED, COMPLETED, REJECTED or CANCELLED.

    `saga_id` names the saga (its first run id) that placed it: the same order id placed again
    by another saga (an Idempotency-Key reused after Temporal forgot the first one) is refused.
    A REJECTED or CANCELLED row with no items is a tombstone: the saga was closed before its
    create step committed, so a late create must not bring the order back as PENDING.
    """

    __tablename__ = "orders"

    order_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    items: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    payment_method: Mapped[str] = mapped_column(String(100))
    total_cents: Mapped[int | None] = mapped_column(Integer)
    saga_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
