"""Payment's rule for an operator's command: open a customer's account.

It runs inside the host's transaction like every rule, and refuses with a reply, never an event
(services/operator_rules.py). An open of an account that exists is answered from what is there:
with the same limit and blocking it is a no-op (`existed`), otherwise it is refused. Two opens
of one new account at once both insert its row; the loser fails on its primary key, the broker
redelivers it, and the retry finds the winner's row.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.commands import OpenAccount
from ordersaga.contracts.events import AccountOpened
from ordersaga.services.host.service import Outcome
from ordersaga.services.operator_rules import refused_as_reply
from ordersaga.services.payment.domain import account_exists
from ordersaga.services.payment.models import Account


@refused_as_reply
async def open_account(session: AsyncSession, command: OpenAccount) -> Outcome:
    existing = await session.get(Account, command.customer_id, populate_existing=True)
    if existing is not None:
        same = (existing.credit_limit_cents, existing.blocked) == (
            command.credit_limit_cents,
            command.blocked,
        )
        if not same:
            raise account_exists(
                existing.customer_id, existing.credit_limit_cents, existing.blocked
            )
        return Outcome(_opened(existing, existed=True), changed=False)
    account = Account(
        customer_id=command.customer_id,
        credit_limit_cents=command.credit_limit_cents,
        held_cents=0,
        captured_cents=0,
        blocked=command.blocked,
    )
    session.add(account)
    await session.flush()
    return Outcome(_opened(account, existed=False))


def _opened(account: Account, existed: bool) -> AccountOpened:
    return AccountOpened(
        customer_id=account.customer_id,
        credit_limit_cents=account.credit_limit_cents,
        blocked=account.blocked,
        existed=existed,
    )
