"""Demo accounts for an empty payment database, so a new user can order at once. They cover
every path: alice and bob can pay, carol's small limit runs out (InsufficientFunds), and
mallory's card is always declined (PaymentDeclined)."""

from ordersaga.database.migrated import DemoData
from ordersaga.services.payment.models import Account

DEMO_ACCOUNTS = DemoData(
    Account,
    [
        {"customer_id": "alice", "credit_limit_cents": 500_000, "blocked": False},
        {"customer_id": "bob", "credit_limit_cents": 100_000, "blocked": False},
        {"customer_id": "carol", "credit_limit_cents": 5_000, "blocked": False},
        {"customer_id": "mallory", "credit_limit_cents": 100_000, "blocked": True},
    ],
)
