"""Payment's own tables: customer accounts and one authorization per order."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """This service's own tables (the host adds the messaging tables every service keeps)."""


class Account(Base):
    """A customer's credit; available = limit - held - captured, never stored."""

    __tablename__ = "accounts"
    __table_args__ = (
        # A backstop only: the conditional update in rules keeps this true on its own.
        CheckConstraint(
            "held_cents >= 0 AND held_cents + captured_cents <= credit_limit_cents",
            name="ck_accounts_within_limit",
        ),
    )

    customer_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    credit_limit_cents: Mapped[int] = mapped_column(Integer)
    held_cents: Mapped[int] = mapped_column(Integer, default=0)
    captured_cents: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)


class Authorization(Base):
    """An order's hold on its customer's credit. A VOIDED row with no customer is a
    tombstone: the order was compensated before its authorization arrived, so a late
    AuthorizePayment must not hold funds."""

    __tablename__ = "authorizations"

    order_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    authorization_id: Mapped[str] = mapped_column(String(120))
    customer_id: Mapped[str | None] = mapped_column(String(100))
    amount_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
