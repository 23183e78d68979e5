"""Inventory's own tables: stock levels and one reservation per order."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """This service's own tables (the host adds the messaging tables every service keeps)."""


class StockItem(Base):
    """A SKU's stock; available = on_hand - reserved, never stored so it cannot drift."""

    __tablename__ = "stock_items"
    __table_args__ = (
        # A backstop only: the conditional update in rules keeps this true on its own.
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="ck_stock_within_hand"),
    )

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    on_hand: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer, default=0)


class Reservation(Base):
    """What one order holds. A RELEASED row with no lines is a tombstone: the order was
    compensated before its reservation arrived, so a late ReserveStock must not take stock."""

    __tablename__ = "reservations"

    order_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    total_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
