"""How a service's rule for an operator's command (AddProduct, Restock, OpenAccount) refuses.

The host turns a Rejected raised by a rule into a CommandRejected that is both the reply and an
event on the order's timeline. An operator's command concerns no order, so its refusal is the
reply only: `refused_as_reply` runs the rule in a savepoint of its own and answers a Rejected
with a CommandRejected (empty `order_id`) that is stored as the command's reply, so the same
command id is refused the same way again, and appended to no log.
"""

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.events import CommandRejected
from ordersaga.contracts.rejections import Rejected
from ordersaga.services.host.service import Outcome

C = TypeVar("C", bound=BaseModel)


def refused_as_reply(
    rule: Callable[[AsyncSession, C], Awaitable[Outcome]],
) -> Callable[[AsyncSession, C], Awaitable[Outcome]]:
    """The rule, with a Rejected it raises (after rolling back what it changed) as its reply."""

    @wraps(rule)
    async def applying(session: AsyncSession, command: C) -> Outcome:
        try:
            async with session.begin_nested():
                return await rule(session, command)
        except Rejected as rejection:
            kind = str(getattr(command, "kind", type(command).__name__))
            refusal = CommandRejected(
                order_id="", command=kind, code=rejection.code, reason=rejection.reason
            )
            return Outcome(refusal, changed=False)

    return applying
