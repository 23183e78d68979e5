"""Payment's rules: authorize an order's payment, void it on compensation, and capture it once
the order is approved.

Each rule runs inside the host's transaction and savepoint (services/host/commands.py): it
loads, acts and returns an Outcome. Funds are held with one conditional UPDATE
(`... WHERE limit - held - captured >= :a`), never read-then-write, so concurrent
authorizations cannot exceed a credit limit. A status change (void, capture) is claimed with
`UPDATE ... WHERE status = 'AUTHORIZED'`, so of two racing commands only one moves the money.

An AuthorizePayment racing a VoidAuthorization of the same order both insert the order's row;
the loser fails on its primary key, the broker redelivers it, and the retry sees the winner's
row: the authorization is voided, or the late authorization is refused.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.commands import AuthorizePayment, CapturePayment, VoidAuthorization
from ordersaga.contracts.events import AuthorizationVoided, PaymentAuthorized, PaymentCaptured
from ordersaga.database.statements import adding, claiming
from ordersaga.services.host.service import Outcome
from ordersaga.services.payment.domain import (
    AuthorizationStatus,
    already_voided,
    authorization_id,
    available_credit,
    cannot_void_captured,
    card_refusal,
    insufficient_funds,
    no_account,
    nothing_to_capture,
)
from ordersaga.services.payment.models import Base

# The statements of a command's hot path, built once and bound per call (database/statements.py).
_ACCOUNTS, _AUTHS = Base.metadata.tables["accounts"], Base.metadata.tables["authorizations"]
_ACCOUNT_OF = select(_ACCOUNTS).where(_ACCOUNTS.c.customer_id == bindparam("of_customer_id"))
_AVAILABLE = _ACCOUNTS.c.credit_limit_cents - _ACCOUNTS.c.held_cents - _ACCOUNTS.c.captured_cents
_HOLD = (
    update(_ACCOUNTS)
    .where(
        _ACCOUNTS.c.customer_id == bindparam("of_customer_id"), _AVAILABLE >= bindparam("amount")
    )
    .values(held_cents=_ACCOUNTS.c.held_cents + bindparam("amount"))
    .returning(_ACCOUNTS.c.customer_id)
)
_MOVE_FUNDS = adding(_ACCOUNTS, "customer_id", held_cents="add_held", captured_cents="add_captured")
_AUTH_OF = select(_AUTHS).where(_AUTHS.c.order_id == bindparam("of_order_id"))
_CLAIM = claiming(_AUTHS, "order_id", AuthorizationStatus.AUTHORIZED, *_AUTHS.c)
_ADD_AUTH = _AUTHS.insert()

AuthorizationRow = Row[Any]
"""An authorizations row as the statements above return it."""


async def authorize_payment(session: AsyncSession, command: AuthorizePayment) -> Outcome:
    existing = await _authorization_of(session, command.order_id)
    if existing is not None:
        return _already_authorized(existing)
    await _check_card(session, command)
    await _hold(session, command.customer_id, command.amount_cents)
    await _add_authorization(session, command.order_id, command.customer_id, command.amount_cents)
    return Outcome(
        PaymentAuthorized(
            order_id=command.order_id,
            authorization_id=authorization_id(command.order_id),
            customer_id=command.customer_id,
            amount_cents=command.amount_cents,
        )
    )


async def void_authorization(session: AsyncSession, command: VoidAuthorization) -> Outcome:
    auth = await _claim(session, command.order_id, AuthorizationStatus.VOIDED)
    if auth is None:
        return await _nothing_to_void(session, command.order_id)
    return await _voided(session, auth)


async def _voided(session: AsyncSession, auth: AuthorizationRow) -> Outcome:
    await _move_funds(session, auth, held=-auth.amount_cents, captured=0)
    return Outcome(AuthorizationVoided(order_id=auth.order_id, amount_cents=auth.amount_cents))


async def capture_payment(session: AsyncSession, command: CapturePayment) -> Outcome:
    auth = await _claim(session, command.order_id, AuthorizationStatus.CAPTURED)
    if auth is None:
        return await _nothing_to_capture(session, command.order_id)
    await _move_funds(session, auth, held=-auth.amount_cents, captured=auth.amount_cents)
    return Outcome(_captured(auth))


def _already_authorized(auth: AuthorizationRow) -> Outcome:
    """Another command for the same order got here first: refuse after a void, else answer
    with the hold already in place rather than holding the funds twice."""
    if auth.status == AuthorizationStatus.VOIDED:
        raise already_voided(auth.order_id)
    return Outcome(_authorized(auth), changed=False)


async def _check_card(session: AsyncSession, command: AuthorizePayment) -> None:
    account = await _account_of(session, command.customer_id)
    if account is None:
        raise no_account(command.customer_id)
    if (refusal := card_refusal(account.blocked, command.payment_method)) is not None:
        raise refusal


async def _hold(session: AsyncSession, customer_id: str, amount_cents: int) -> None:
    result = await session.execute(_HOLD, {"of_customer_id": customer_id, "amount": amount_cents})
    if result.scalar_one_or_none() is None:
        account = await _account_of(session, customer_id)
        if account is None:
            raise no_account(customer_id)
        left = available_credit(
            account.credit_limit_cents, account.held_cents, account.captured_cents
        )
        raise insufficient_funds(left, amount_cents)


async def _claim(
    session: AsyncSession, order_id: str, status: AuthorizationStatus
) -> AuthorizationRow | None:
    """Move an AUTHORIZED authorization to `status` in one statement; None if it was not."""
    claimed = {"of_order_id": order_id, "new_status": status, "now": datetime.now(UTC)}
    auth: AuthorizationRow | None = (await session.execute(_CLAIM, claimed)).one_or_none()
    return auth


async def _move_funds(
    session: AsyncSession, auth: AuthorizationRow, held: int, captured: int
) -> None:
    """Add `held` and `captured` (either may be negative) to the authorization's account."""
    moved = {"of_customer_id": auth.customer_id, "add_held": held, "add_captured": captured}
    await session.execute(_MOVE_FUNDS, moved)


async def _nothing_to_void(session: AsyncSession, order_id: str) -> Outcome:
    """The claim found nothing AUTHORIZED. Voiding what was never authorized succeeds and leaves
    a tombstone, so a late AuthorizePayment is refused (one racing it loses on the primary key,
    and its retry is refused); voiding twice succeeds; voiding a capture cannot. An
    authorization that committed since the claim looked (READ COMMITTED: each statement sees
    the latest commits) is voided after all: what this look sees is what the answer says."""
    existing = await _authorization_of(session, order_id)
    if existing is None:
        await _add_authorization(session, order_id, None, 0, AuthorizationStatus.VOIDED)
    elif existing.status == AuthorizationStatus.AUTHORIZED:
        auth = await _claim(session, order_id, AuthorizationStatus.VOIDED)
        if auth is not None:
            return await _voided(session, auth)
        return await _nothing_to_void(session, order_id)  # captured or voided since: look again
    elif existing.status == AuthorizationStatus.CAPTURED:
        raise cannot_void_captured(order_id)
    return Outcome(AuthorizationVoided(order_id=order_id, amount_cents=0), changed=False)


async def _nothing_to_capture(session: AsyncSession, order_id: str) -> Outcome:
    """A second capture (under another command id) succeeds without moving money again."""
    existing = await _authorization_of(session, order_id)
    if existing is not None and existing.status == AuthorizationStatus.CAPTURED:
        return Outcome(_captured(existing), changed=False)
    raise nothing_to_capture(order_id, None if existing is None else existing.status)


async def _account_of(session: AsyncSession, customer_id: str) -> Row[Any] | None:
    return (await session.execute(_ACCOUNT_OF, {"of_customer_id": customer_id})).one_or_none()


async def _authorization_of(session: AsyncSession, order_id: str) -> AuthorizationRow | None:
    """The order's authorization as committed now (each look reads the database afresh)."""
    return (await session.execute(_AUTH_OF, {"of_order_id": order_id})).one_or_none()


async def _add_authorization(
    session: AsyncSession,
    order_id: str,
    customer_id: str | None,
    amount_cents: int,
    status: AuthorizationStatus = AuthorizationStatus.AUTHORIZED,
) -> None:
    now = datetime.now(UTC)
    await session.execute(
        _ADD_AUTH,
        {
            "order_id": order_id,
            "authorization_id": authorization_id(order_id),
            "customer_id": customer_id,
            "amount_cents": amount_cents,
            "status": status,
            "created_at": now,
            "updated_at": now,
        },
    )


def _authorized(auth: AuthorizationRow) -> PaymentAuthorized:
    return PaymentAuthorized(
        order_id=auth.order_id,
        authorization_id=auth.authorization_id,
        customer_id=auth.customer_id or "",
        amount_cents=auth.amount_cents,
    )


def _captured(auth: AuthorizationRow) -> PaymentCaptured:
    return PaymentCaptured(
        order_id=auth.order_id,
        authorization_id=auth.authorization_id,
        amount_cents=auth.amount_cents,
    )
