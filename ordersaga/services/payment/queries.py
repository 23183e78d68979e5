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
        accounts=[AccountState.model_validate(a, from_attributes=True) for a in accounts],
        authorizations=[
            AuthorizationState.model_validate(a, from_attributes=True) for a in authorizations
        ],
    )
