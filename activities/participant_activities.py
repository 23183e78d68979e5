"""Activities that send commands to the participants and turn their replies into results.

A rejection becomes a non-retryable ApplicationError whose `type` is the rejection code, so
the saga compensates at once; no reply in time becomes a retryable error, and the retry
re-sends the same command_id, which the participant answers from its stored reply.
"""

from typing import TypeVar

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.rejections import rejected
from ordersaga.contracts.commands import (
    AuthorizePayment,
    CapturePayment,
    Command,
    CommitStock,
    ReleaseStock,
    ReserveStock,
    VoidAuthorization,
)
from ordersaga.contracts.events import (
    AuthorizationVoided,
    CommandRejected,
    PaymentAuthorized,
    PaymentCaptured,
    StockCommitted,
    StockReleased,
    StockReserved,
)
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.telemetry.logs import bind_order

R = TypeVar("R", bound=BaseModel)


class ParticipantActivities:
    def __init__(self, client: RequestClient) -> None:
        self._client = client

    @activity.defn(name="reserve_stock")
    async def reserve_stock(self, command: ReserveStock) -> StockReserved:
        return await self._send("inventory", command, StockReserved)

    @activity.defn(name="release_stock")
    async def release_stock(self, command: ReleaseStock) -> StockReleased:
        return await self._send("inventory", command, StockReleased)

    @activity.defn(name="commit_stock")
    async def commit_stock(self, command: CommitStock) -> StockCommitted:
        return await self._send("inventory", command, StockCommitted)

    @activity.defn(name="authorize_payment")
    async def authorize_payment(self, command: AuthorizePayment) -> PaymentAuthorized:
        return await self._send("payment", command, PaymentAuthorized)

    @activity.defn(name="void_authorization")
    async def void_authorization(self, command: VoidAuthorization) -> AuthorizationVoided:
        return await self._send("payment", command, AuthorizationVoided)

    @activity.defn(name="capture_payment")
    async def capture_payment(self, command: CapturePayment) -> PaymentCaptured:
        return await self._send("payment", command, PaymentCaptured)

    async def _send(self, service: str, command: Command, expected: type[R]) -> R:
        # The activity runs in a task of its own: its lines (the SDK's too) carry the command.
        bind_order(order_id=getattr(command, "order_id", None), command_id=command.command_id)
        wait = _reply_wait_seconds()
        try:
            reply = await self._client.send_command(service, command, timeout=wait)
        except TimeoutError:
            raise ApplicationError(
                f"no reply from {service} to {command.kind} within {wait:.1f}s", type="NoReply"
            ) from None
        if isinstance(reply.body, CommandRejected):
            raise rejected(command.order_id, reply.body.code, reply.body.reason)
        if not isinstance(reply.body, expected):
            raise ApplicationError(
                f"{service} answered {command.kind} with {reply.body.kind}",
                type="UnexpectedReply",
                non_retryable=True,
            )
        return reply.body


def _reply_wait_seconds() -> float:
    """Wait a little less than the attempt's own timeout, so ours is the error that surfaces."""
    timeout = activity.info().start_to_close_timeout
    return max(timeout.total_seconds() * 0.95, 0.05) if timeout else 10.0
