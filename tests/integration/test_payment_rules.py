"""Payment's command handling against a real database, once on SQLite and once on
PostgreSQL: credit limits hold under concurrency, effects happen once, voids leave
tombstones, and captures move a hold exactly once."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.commands import AuthorizePayment, CapturePayment, VoidAuthorization
from contracts.events import (
    AuthorizationVoided,
    CommandRejected,
    EventEnvelope,
    PaymentAuthorized,
    PaymentCaptured,
)
from contracts.queries import ReadFeed
from contracts.rejections import RejectionCode
from contracts.replies import Reply
from payment.handlers import handle_command
from payment.models import Account, Authorization
from payment.queries import handle_query
from payment.seed import seed_if_empty
from persistence.database import migrated_database
from tests.conftest import DatabaseFactory

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(database_url_factory: DatabaseFactory) -> AsyncIterator[Sessions]:
    async with migrated_database(
        await database_url_factory.new_url("payment"), "payment", seed_if_empty
    ) as made:
        yield made


async def add_account(sessions: Sessions, limit: int, blocked: bool = False) -> str:
    customer = f"c-{uuid.uuid4().hex[:8]}"
    async with sessions() as session, session.begin():
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


async def account(sessions: Sessions, customer: str) -> tuple[int, int]:
    """(held, captured) as committed."""
    async with sessions() as session:
        row = await session.get_one(Account, customer)
        return row.held_cents, row.captured_cents


async def feed(sessions: Sessions, after_seq: int = 0) -> list[EventEnvelope]:
    return (await handle_query(sessions, ReadFeed(after_seq=after_seq))).events


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


async def test_authorizing_concurrently_never_exceeds_the_credit_limit(sessions: Sessions) -> None:
    customer = await add_account(sessions, limit=5000)

    replies = await asyncio.gather(
        *(handle_command(sessions, authorize(new_order(), customer, 1000)) for _ in range(30))
    )

    bodies = [reply.body for reply in replies]
    assert sum(isinstance(body, PaymentAuthorized) for body in bodies) == 5
    codes = [body.code for body in bodies if isinstance(body, CommandRejected)]
    assert codes == [RejectionCode.INSUFFICIENT_FUNDS] * 25
    assert await account(sessions, customer) == (5000, 0)
    assert [envelope.seq for envelope in await feed(sessions)] == list(range(1, 31))


async def test_the_same_authorization_twice_holds_the_funds_once_with_the_same_reply(
    sessions: Sessions,
) -> None:
    customer = await add_account(sessions, limit=5000)
    command = authorize(new_order(), customer, 1200)

    concurrent = await asyncio.gather(*(handle_command(sessions, command) for _ in range(3)))
    again = await handle_command(sessions, command)

    assert all(reply == again for reply in concurrent)
    assert again.body == PaymentAuthorized(
        order_id=command.order_id,
        authorization_id=f"auth-{command.order_id}",
        customer_id=customer,
        amount_cents=1200,
    )
    assert await account(sessions, customer) == (1200, 0)
    assert [envelope.event for envelope in await feed(sessions)] == [again.body]


@pytest.mark.parametrize(
    ("customer", "method", "reason"),
    [
        ("mallory", "card-4242", "card declined by issuer"),
        ("alice", "card-declined", "card declined by issuer"),
        ("nobody", "card-4242", "no account for customer nobody"),
    ],
)
async def test_a_declined_card_holds_nothing(
    sessions: Sessions, customer: str, method: str, reason: str
) -> None:
    reply = await handle_command(sessions, authorize(new_order(), customer, 1000, method))

    assert rejection(reply) == (RejectionCode.PAYMENT_DECLINED, reason)
    if customer != "nobody":
        assert await account(sessions, customer) == (0, 0)


async def test_an_authorization_beyond_the_limit_is_rejected_the_same_way_when_resent(
    sessions: Sessions,
) -> None:
    command = authorize(new_order(), "carol", 6000)

    first = await handle_command(sessions, command)
    resent = await handle_command(sessions, command)

    assert rejection(first) == (RejectionCode.INSUFFICIENT_FUNDS, "available 5000, needed 6000")
    assert resent == first
    assert [envelope.event for envelope in await feed(sessions)] == [first.body]


async def test_voiding_releases_the_hold_once(sessions: Sessions) -> None:
    order = new_order()
    await handle_command(sessions, authorize(order, "bob", 3000))

    voided = await handle_command(sessions, void(order))
    again = await handle_command(sessions, void(order, command_id="another-void"))

    assert voided.body == AuthorizationVoided(order_id=order, amount_cents=3000)
    assert again.body == AuthorizationVoided(order_id=order, amount_cents=0)
    assert await account(sessions, "bob") == (0, 0)
    kinds = [envelope.event.kind for envelope in await feed(sessions)]
    assert kinds == ["PaymentAuthorized", "AuthorizationVoided"]


async def test_voiding_an_order_never_authorized_is_a_no_op_and_refuses_a_late_authorization(
    sessions: Sessions,
) -> None:
    order = new_order()

    voided = await handle_command(sessions, void(order))
    late = await handle_command(sessions, authorize(order, "bob", 3000))

    assert voided.body == AuthorizationVoided(order_id=order, amount_cents=0)
    assert rejection(late)[0] == RejectionCode.ALREADY_COMPENSATED
    assert await account(sessions, "bob") == (0, 0)
    assert [envelope.event for envelope in await feed(sessions)] == [late.body]


async def test_an_authorization_racing_its_void_never_strands_funds(sessions: Sessions) -> None:
    orders = [new_order() for _ in range(10)]

    await asyncio.gather(
        *(
            delivered(sessions, command)
            for order in orders
            for command in (authorize(order, "alice", 1000), void(order))
        )
    )

    assert await account(sessions, "alice") == (0, 0)
    async with sessions() as session:
        statuses = await session.scalars(select(Authorization.status))
        assert set(statuses) == {"VOIDED"}


async def delivered(sessions: Sessions, command: AuthorizePayment | VoidAuthorization) -> Reply:
    """Handle `command` as the broker would deliver it: again after a failed attempt. The loser
    of an authorize/void race for one order fails on the authorization's primary key."""
    while True:
        try:
            return await handle_command(sessions, command)
        except IntegrityError:
            continue


async def test_capturing_moves_the_hold_to_captured_once(sessions: Sessions) -> None:
    order = new_order()
    await handle_command(sessions, authorize(order, "alice", 4000))

    captured = await handle_command(sessions, capture(order))
    again = await handle_command(sessions, capture(order, command_id="another-capture"))
    late_void = await handle_command(sessions, void(order))

    assert captured.body == PaymentCaptured(
        order_id=order, authorization_id=f"auth-{order}", amount_cents=4000
    )
    assert again.body == captured.body
    assert rejection(late_void)[0] == RejectionCode.ALREADY_COMPENSATED
    assert await account(sessions, "alice") == (0, 4000)
    kinds = [envelope.event.kind for envelope in await feed(sessions)]
    assert kinds == ["PaymentAuthorized", "PaymentCaptured", "CommandRejected"]


async def test_there_is_nothing_to_capture_without_a_live_authorization(
    sessions: Sessions,
) -> None:
    never = new_order()
    voided = new_order()
    await handle_command(sessions, authorize(voided, "alice", 1000))
    await handle_command(sessions, void(voided))

    for order in (never, voided):
        reply = await handle_command(sessions, capture(order))
        assert rejection(reply)[0] == RejectionCode.NOTHING_TO_CAPTURE
    assert await account(sessions, "alice") == (0, 0)


async def test_the_feed_returns_the_events_after_a_given_seq(sessions: Sessions) -> None:
    orders = [new_order() for _ in range(3)]
    for order in orders:
        await handle_command(sessions, authorize(order, "alice", 100))

    page = await feed(sessions, after_seq=1)

    assert [envelope.seq for envelope in page] == [2, 3]
    assert [envelope.event.order_id for envelope in page] == orders[1:]
    assert {envelope.source for envelope in page} == {"payment"}
