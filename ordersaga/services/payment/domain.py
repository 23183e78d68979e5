"""Payment's rules that need no database: when a card is refused, how much credit is left,
and the wording of rejections, so handlers only load, act and commit."""

from enum import StrEnum

from ordersaga.contracts.rejections import Rejected, RejectionCode

DECLINED_METHOD = "card-declined"
"""A payment method that is always declined: how a user (or a test) forces a decline."""


class AuthorizationStatus(StrEnum):
    AUTHORIZED = "AUTHORIZED"
    VOIDED = "VOIDED"
    CAPTURED = "CAPTURED"


def authorization_id(order_id: str) -> str:
    """Derived from the order, so every attempt at authorizing it names the same hold."""
    return f"auth-{order_id}"


def available_credit(credit_limit_cents: int, held_cents: int, captured_cents: int) -> int:
    return credit_limit_cents - held_cents - captured_cents


def card_refusal(blocked: bool, payment_method: str) -> Rejected | None:
    """Why the issuer refuses this card before funds are even looked at, if it does."""
    if blocked or payment_method == DECLINED_METHOD:
        return Rejected(RejectionCode.PAYMENT_DECLINED, "card declined by issuer")
    return None


def no_account(customer_id: str) -> Rejected:
    return Rejected(RejectionCode.PAYMENT_DECLINED, f"no account for customer {customer_id}")


def insufficient_funds(available: int, needed: int) -> Rejected:
    return Rejected(RejectionCode.INSUFFICIENT_FUNDS, f"available {available}, needed {needed}")


def already_voided(order_id: str) -> Rejected:
    """The authorization arrived after its void: holding funds now would strand them."""
    return Rejected(RejectionCode.ALREADY_COMPENSATED, f"order {order_id} was already voided")


def cannot_void_captured(order_id: str) -> Rejected:
    """A void only ever comes before the pivot (capture); after it, money moved and only a
    refund could undo it. ALREADY_COMPENSATED is the closest code: the void cannot apply."""
    return Rejected(
        RejectionCode.ALREADY_COMPENSATED,
        f"authorization for order {order_id} was already captured and cannot be voided",
    )


def nothing_to_capture(order_id: str, status: str | None) -> Rejected:
    state = "no authorization" if status is None else f"the authorization is {status}"
    return Rejected(RejectionCode.NOTHING_TO_CAPTURE, f"order {order_id}: {state}")


def account_exists(customer_id: str, credit_limit_cents: int, blocked: bool) -> Rejected:
    """An open of an account that payment has with another limit or blocking."""
    state = "blocked" if blocked else "not blocked"
    return Rejected(
        RejectionCode.ACCOUNT_EXISTS,
        f"{customer_id} has an account already, with a limit of {credit_limit_cents} cents, "
        f"{state}",
    )
