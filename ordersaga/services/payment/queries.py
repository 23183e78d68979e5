"""Payment's queries: its whole state for a Snapshot. They change nothing."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.snapshots import AccountState, AuthorizationState, PaymentState
from ordersaga.services.payment.models import Account, Authorization


async def payment_state(session: AsyncSession) -> PaymentState:
    """Every account and authorization."""
    accounts = await session.scalars(select(Account).order_by(Account.customer_id))
    authorizations = await session.scalars(select(Authorization).order_by(Authorization.order_id))
    return PaymentState(
        accounts=[
            AccountState(
                customer_id=a.customer_id,
                credit_limit_cents=a.credit_limit_cents,
                held_cents=a.held_cents,
                captured_cents=a.captured_cents,
                blocked=a.blocked,
            )
            for a in accounts
        ],
        authorizations=[
            AuthorizationState(
                order_id=a.order_id,
                customer_id=a.customer_id,
                amount_cents=a.amount_cents,
                status=a.status,
            )
            for a in authorizations
        ],
    )
