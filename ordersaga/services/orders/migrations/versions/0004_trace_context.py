"""messaging tables v3: the trace context an event was recorded in

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from ordersaga.database.messaging_migrations import add_trace_context_v3, drop_trace_context_v3

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_trace_context_v3()


def downgrade() -> None:
    drop_trace_context_v3()
