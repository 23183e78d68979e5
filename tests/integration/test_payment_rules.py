"""Payment's rules against a real database, once on SQLite and once on
PostgreSQL: credit limits hold under concurrency, effects happen once, voids leave
tombstones, and captures move a hold exactly once."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from ordersaga.contracts.commands import AuthorizePayment, CapturePayment, VoidAuthorization
from ordersaga.contracts.events import (
    AuthorizationVoided,
    CommandRejected,
    PaymentAuthorized,
    PaymentCaptured,
)
from ordersaga.contracts.rejections import RejectionCode
from ordersaga.contracts.replies import Reply
from ordersaga.services.payment.models import Account, Authorization
from ordersaga.services.payment.service import PAYMENT
from tests.conftest import DatabaseFactory
from tests.support.late_commit import commit_after_first_miss, rules_on_postgres
from tests.support.rules import Rules, rules_of


@pytest.fixture
async def payment(database_url_factory: DatabaseFactory) -> AsyncIterator[Rules]:
    url = await database_url_factory.new_url("payment")
    async with rules_of(PAYMENT, url, demo_data=True) as rules:
        yield rules


async def add_account(payment: Rules, limit: int, blocked: bool = False) -> str:
    customer = f"c-{uuid.uuid4().hex[:8]}"
    async with payment.sessions() as session, session.begin():
        session.add(
            Account(
                customer_id=customer,
                credit_limit_cents=limit,
                held_cents=0,
                captured_cents=0,
                blocked=blocked,
            )
        )
    return customer


async def account(payment: Rules, customer: str) -> tuple[int, int]:
    """(held, captured) as committed."""
    async with payment.sessions() as session:
        row = await session.get_one(Account, customer)
        return row.held_cents, row.captured_cents


def authorize(
    order_id: str, customer: str, amount: int, method: str = "card-4242", command_id: str = ""
) -> AuthorizePayment:
    return AuthorizePayment(
        command_id=command_id or f"{order_id}:authorize-payment",
        order_id=order_id,
        customer_id=customer,
        payment_method=method,
        amount_cents=amount,
    )


def void(order_id: str, command_id: str = "") -> VoidAuthorization:
    return VoidAuthorization(
        command_id=command_id or f"{order_id}:void", order_id=order_id, reason="test"
    )


def capture(order_id: str, command_id: str = "") -> CapturePayment:
    return CapturePayment(command_id=command_id or f"{order_id}:capture", order_id=order_id)


def new_order() -> str:
    return f"o-{uuid.uuid4().hex[:8]}"


def rejection(reply: Reply) -> tuple[RejectionCode, str]:
    assert isinstance(reply.body, CommandRejected), reply.body
    return reply.body.code, reply.body.reason


async def test_authorizing_concurrently_never_exceeds_the_credit_limit(payment: Rules) -> None:
    customer = await add_account(payment, limit=5000)

    replies = await asyncio.gather(
        *(payment.handle(authorize(new_order(), customer, 1000)) for _ in range(30))
    )

    bodies = [reply.body for reply in replies]
    assert sum(isinstance(body, PaymentAuthorized) for body in bodies) == 5
    codes = [body.code for body in bodies if isinstance(body, CommandRejected)]
    assert codes == [RejectionCode.INSUFFICIENT_FUNDS] * 25
    assert await account(payment, customer) == (5000, 0)
    assert [envelope.seq for envelope in await payment.feed()] == list(range(1, 31))


async def test_the_same_authorization_twice_holds_the_funds_once_with_the_same_reply(
    payment: Rules,
) -> None:
    customer = await add_account(payment, limit=5000)
    command = authorize(new_order(), customer, 1200)

    concurrent = await asyncio.gather(*(payment.handle(command) for _ in range(3)))
    again = await payment.handle(command)

    assert all(reply == again for reply in concurrent)
    assert again.body == PaymentAuthorized(
        order_id=command.order_id,
        authorization_id=f"auth-{command.order_id}",
        customer_id=customer,
        amount_cents=1200,
    )
    assert await account(payment, customer) == (1200, 0)
    assert [envelope.event for envelope in await payment.feed()] == [again.body]


@pytest.mark.parametrize(
    ("customer", "method", "reason"),
    [
        ("mallory", "card-4242", "card declined by issuer"),
        ("alice", "card-declined", "card declined by issuer"),
        ("nobody", "card-4242", "no account for customer nobody"),
    ],
)
async def test_a_declined_card_holds_nothing(
    payment: Rules, customer: str, method: str, reason: str
) -> None:
    reply = await payment.handle(authorize(new_order(), customer, 1000, method))

    assert rejection(reply) == (RejectionCode.PAYMENT_DECLINED, reason)
    if customer != "nobody":
        assert await account(payment, customer) == (0, 0)


async def test_an_authorization_beyond_the_limit_is_rejected_the_same_way_when_resent(
    payment: Rules,
) -> None:
    command = authorize(new_order(), "carol", 6000)

    first = await payment.handle(command)
    resent = await payment.handle(command)

    assert rejection(first) == (RejectionCode.INSUFFICIENT_FUNDS, "available 5000, needed 6000")
    assert resent == first
    assert [envelope.event for envelope in await payment.feed()] == [first.body]


async def test_voiding_releases_the_hold_once(payment: Rules) -> None:
    order = new_order()
    await payment.handle(authorize(order, "bob", 3000))

    voided = await payment.handle(void(order))
    again = await payment.handle(void(order, command_id="another-void"))

    assert voided.body == AuthorizationVoided(order_id=order, amount_cents=3000)
    assert again.body == AuthorizationVoided(order_id=order, amount_cents=0)
    assert await account(payment, "bob") == (0, 0)
    kinds = [envelope.event.kind for envelope in await payment.feed()]
    assert kinds == ["PaymentAuthorized", "AuthorizationVoided"]


async def test_voiding_an_order_never_authorized_is_a_no_op_and_refuses_a_late_authorization(
    payment: Rules,
) -> None:
    order = new_order()

    voided = await payment.handle(void(order))
    late = await payment.handle(authorize(order, "bob", 3000))

    assert voided.body == AuthorizationVoided(order_id=order, amount_cents=0)
    assert rejection(late)[0] == RejectionCode.ALREADY_COMPENSATED
    assert await account(payment, "bob") == (0, 0)
    assert [envelope.event for envelope in await payment.feed()] == [late.body]


async def test_an_authorization_racing_its_void_never_strands_funds(payment: Rules) -> None:
    orders = [new_order() for _ in range(10)]

    await asyncio.gather(
        *(
            payment.delivered(command)
            for order in orders
            for command in (authorize(order, "alice", 1000), void(order))
        )
    )

    assert await account(payment, "alice") == (0, 0)
    async with payment.sessions() as session:
        statuses = await session.scalars(select(Authorization.status))
        assert set(statuses) == {"VOIDED"}


async def test_capturing_moves_the_hold_to_captured_once(payment: Rules) -> None:
    order = new_order()
    await payment.handle(authorize(order, "alice", 4000))

    captured = await payment.handle(capture(order))
    again = await payment.handle(capture(order, command_id="another-capture"))
    late_void = await payment.handle(void(order))

    assert captured.body == PaymentCaptured(
        order_id=order, authorization_id=f"auth-{order}", amount_cents=4000
    )
    assert again.body == captured.body
    assert rejection(late_void)[0] == RejectionCode.ALREADY_COMPENSATED
    assert await account(payment, "alice") == (0, 4000)
    kinds = [envelope.event.kind for envelope in await payment.feed()]
    assert kinds == ["PaymentAuthorized", "PaymentCaptured", "CommandRejected"]


async def test_there_is_nothing_to_capture_without_a_live_authorization(
    payment: Rules,
) -> None:
    never = new_order()
    voided = new_order()
    await payment.handle(authorize(voided, "alice", 1000))
    await payment.handle(void(voided))

    for order in (never, voided):
        reply = await payment.handle(capture(order))
        assert rejection(reply)[0] == RejectionCode.NOTHING_TO_CAPTURE
    assert await account(payment, "alice") == (0, 0)


async def test_the_feed_returns_the_events_after_a_given_seq(payment: Rules) -> None:
    orders = [new_order() for _ in range(3)]
    for order in orders:
        await payment.handle(authorize(order, "alice", 100))

    page = await payment.feed(after_seq=1)

    assert [envelope.seq for envelope in page] == [2, 3]
    assert [getattr(envelope.event, "order_id", None) for envelope in page] == orders[1:]
    assert {envelope.source for envelope in page} == {"payment"}


async def test_an_authorization_committed_just_after_the_voids_look_is_voided_all_the_same(
    postgres_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The void finds no authorization, and the authorize commits right then: the void's answer
    must match what it leaves behind, so the authorization ends VOIDED and nothing stays held."""
    async with rules_on_postgres(PAYMENT, postgres_dsn, tmp_path) as payment:
        order, customer = new_order(), await add_account(payment, 10_000)
        commit_after_first_miss(
            monkeypatch, Authorization, lambda: payment.handle(authorize(order, customer, 1000))
        )

        await payment.delivered(void(order))

        assert await account(payment, customer) == (0, 0)
        async with payment.sessions() as session:
            auth = await session.get_one(Authorization, order)
        assert auth.status == "VOIDED"
