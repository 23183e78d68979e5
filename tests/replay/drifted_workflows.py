"""OrderSaga as a careless change would leave it: registered under the same workflow type, its
step table changed without `workflow.patched`. Kept out of the test module, because the workflow
sandbox re-imports the module a workflow class is defined in."""

import dataclasses

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from ordersaga.contracts.commands import AuthorizePayment
    from ordersaga.contracts.saga import PlaceOrder, SagaState
    from workflows.order_saga import OrderSaga
    from workflows.order_steps import AUTHORIZE, NOTIFY, RESERVE, SagaOrder, StepName
    from workflows.saga_runner import SagaRunner
    from workflows.saga_table import Call, Kind, Mode, SagaTable, Step


class _Drifted(OrderSaga):
    """Runs whatever table the real saga would run, changed by `drift`."""

    def drift(self, table: SagaTable[SagaOrder]) -> SagaTable[SagaOrder]:
        raise NotImplementedError

    def _runner_for_this_run(self) -> SagaRunner[SagaOrder]:
        runner = super()._runner_for_this_run()
        runner._table = self.drift(runner._table)
        return runner


async def _fraud_check(order: SagaOrder, call: Call) -> None:
    await call("fraud_check", order.place)


_FRAUD_CHECK = Step[SagaOrder](
    "fraud-check", "fraud check", Kind.COMPENSABLE, lambda _: "fraud check", _fraud_check
)


@workflow.defn(name="OrderSaga")
class FraudCheckWithoutPatch(_Drifted):
    """A new step (a fraud check before anything else) added without `workflow.patched`."""

    @workflow.run
    async def run(self, order: PlaceOrder) -> SagaState:
        return await super().run(order)

    def drift(self, table: SagaTable[SagaOrder]) -> SagaTable[SagaOrder]:
        return SagaTable([dataclasses.replace(_FRAUD_CHECK, mode=Mode.REGULAR), *table.steps])


async def _authorize_one_cent(order: SagaOrder, call: Call) -> None:
    command = AuthorizePayment(
        command_id=call.command_id,
        order_id=order.id,
        customer_id=order.place.customer_id,
        payment_method=order.place.payment_method,
        amount_cents=1,
    )
    await call("authorize_payment", command)


@workflow.defn(name="OrderSaga")
class AuthorizeBeforeReserve(_Drifted):
    """Authorizes payment first, then reserves stock: the second command differs."""

    @workflow.run
    async def run(self, order: PlaceOrder) -> SagaState:
        return await super().run(order)

    def drift(self, table: SagaTable[SagaOrder]) -> SagaTable[SagaOrder]:
        early = dataclasses.replace(
            AUTHORIZE, summary=lambda _: "authorize", call=_authorize_one_cent
        )
        swapped = {StepName.RESERVE_STOCK: early, StepName.AUTHORIZE_PAYMENT: RESERVE}
        return SagaTable([swapped.get(StepName(step.name), step) for step in table.steps])


class _NotifyVariant(_Drifted):
    """The table as it is, with the `notify-customer` guard swapped for `notify_guard`: the
    later stages of the versioning procedure in docs/versioning.md."""

    def notify_guard(self) -> bool:
        raise NotImplementedError

    def drift(self, table: SagaTable[SagaOrder]) -> SagaTable[SagaOrder]:
        notify = dataclasses.replace(NOTIFY, when=self.notify_guard)
        return SagaTable(
            [notify if step.name == StepName.NOTIFY_CUSTOMER else step for step in table.steps]
        )


@workflow.defn(name="OrderSaga")
class NotifyWithoutPatch(_NotifyVariant):
    """The notification added with no guard at all."""

    @workflow.run
    async def run(self, order: PlaceOrder) -> SagaState:
        return await super().run(order)

    def notify_guard(self) -> bool:
        return True


@workflow.defn(name="OrderSaga")
class NotifyPatchDeprecated(_NotifyVariant):
    """Stage 2: `deprecate_patch`, once no execution without the patch can still be open."""

    @workflow.run
    async def run(self, order: PlaceOrder) -> SagaState:
        return await super().run(order)

    def notify_guard(self) -> bool:
        workflow.deprecate_patch("notify-customer")
        return True
