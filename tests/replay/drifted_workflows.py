"""OrderSaga as a careless change would leave it: registered under the same workflow type, with
its commands changed without `workflow.patched`. Kept out of the test module, because the
workflow sandbox re-imports the module a workflow class is defined in."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.inputs import ApproveOrder
    from activities.order_activities import OrderActivities
    from activities.participant_activities import ParticipantActivities
    from contracts.commands import AuthorizePayment, CapturePayment, ReserveStock
    from contracts.events import StockReserved
    from contracts.orders import OrderStatus
    from contracts.saga import PlaceOrder, SagaState
    from workflows.order_saga import OrderSaga, _Undo


@workflow.defn(name="OrderSaga")
class FraudCheckWithoutPatch(OrderSaga):
    """A new step (a fraud check before reserving) added without `workflow.patched`."""

    @workflow.run
    async def run(self, order: PlaceOrder) -> SagaState:
        return await super().run(order)

    async def _go_forward(self) -> None:
        await workflow.execute_activity(
            "fraud_check", self._order, start_to_close_timeout=timedelta(seconds=5)
        )
        await super()._go_forward()


@workflow.defn(name="OrderSaga")
class AuthorizeBeforeReserve(OrderSaga):
    """Authorizes payment first, then reserves stock: the second command differs."""

    @workflow.run
    async def run(self, order: PlaceOrder) -> SagaState:
        return await super().run(order)

    async def _go_forward(self) -> None:
        order, wid = self._order, workflow.info().workflow_id
        self._undo.append(_Undo("create-order", "close the order", self._close_order))
        await self._forward_step(
            "create-order", "create order", OrderActivities.create_order, order
        )
        self._undo.append(_Undo("authorize-payment", "void the authorization", self._void))
        await self._forward_step(
            "authorize-payment",
            "authorize",
            ParticipantActivities.authorize_payment,
            AuthorizePayment(
                command_id=f"{wid}:authorize-payment",
                order_id=order.order_id,
                customer_id=order.customer_id,
                payment_method=order.payment_method,
                amount_cents=1,
            ),
        )
        self._undo.append(_Undo("reserve-stock", "release the reservation", self._release_stock))
        reserved: StockReserved = await self._forward_step(
            "reserve-stock",
            "reserve",
            ParticipantActivities.reserve_stock,
            ReserveStock(
                command_id=f"{wid}:reserve-stock", order_id=order.order_id, items=order.items
            ),
        )
        self._set_status(OrderStatus.AUTHORIZED)
        self._past_pivot = True
        await self._past_the_pivot(reserved.total_cents)


class _NotifyVariant(OrderSaga):
    """`_past_the_pivot` as it is, with the `notify-customer` guard swapped for `_notify_guard`:
    the later stages of the versioning procedure in docs/versioning.md."""

    def _notify_guard(self) -> bool:
        raise NotImplementedError

    async def _past_the_pivot(self, total_cents: int) -> None:
        order_id, wid = self._order.order_id, workflow.info().workflow_id
        await self._retriable_step(
            "approve-order",
            "approve",
            lambda: self._quick_then_patient(
                OrderActivities.approve_order,
                ApproveOrder(order_id=order_id, total_cents=total_cents),
                "approve",
                self._timeouts.compensation,
            ),
        )
        self._set_status(OrderStatus.APPROVED)
        await self._retriable_step(
            "capture-payment",
            "capture",
            lambda: self._capture(
                CapturePayment(command_id=f"{wid}:capture-payment", order_id=order_id),
                "capture",
            ),
        )
        self._set_status(OrderStatus.COMPLETED)
        if self._notify_guard():
            await self._notify_customer(total_cents)


@workflow.defn(name="OrderSaga")
class NotifyWithoutPatch(_NotifyVariant):
    """The notification added with no guard at all."""

    @workflow.run
    async def run(self, order: PlaceOrder) -> SagaState:
        return await super().run(order)

    def _notify_guard(self) -> bool:
        return True


@workflow.defn(name="OrderSaga")
class NotifyPatchDeprecated(_NotifyVariant):
    """Stage 2: `deprecate_patch`, once no execution without the patch can still be open."""

    @workflow.run
    async def run(self, order: PlaceOrder) -> SagaState:
        return await super().run(order)

    def _notify_guard(self) -> bool:
        workflow.deprecate_patch("notify-customer")
        return True
