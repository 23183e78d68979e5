"""Stand-ins for OrderSagas started before v4, in a module of their own (the workflow sandbox
re-imports the module a workflow is defined in)."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from ordersaga.temporal import ORDER_STATUS


@workflow.defn(name="OrderSaga")
class SagaAsItEnded:
    """Reports `status` as its OrderStatus; completes only when that status is final, like a
    saga that got that far."""

    @workflow.run
    async def run(self, status: str) -> None:
        workflow.upsert_search_attributes([ORDER_STATUS.value_set(status)])
        if status not in ("COMPLETED", "REJECTED", "CANCELLED"):
            await workflow.wait_condition(lambda: False)
