"""Sagas started before v4, kept running exactly as they began. Everything here goes at once.

| version | what differs from v4                                                                  |
| ------- | ------------------------------------------------------------------------------------- |
| v3      | no commit-stock, no complete-order (COMPLETED once captured); notify behind its patch  |
|         | `notify-customer`; command ids `<workflow id>:<step>`; a rollback undoes only the     |
|         | steps begun; a cancel is not re-checked after a step                                  |
| v1, v2  | as v3, and capture is local first; a 1 ms timer ends the run                           |

When it can go: once `temporal workflow count --query 'WorkflowType="OrderSaga" AND
StartTime < "<v4 deploy time>"'` answers 0 and the closed ones are past the namespace's
retention (docs/versioning.md, steps 5-7): remove this module, its branch in
`OrderSaga._runner_for_this_run`, and the v1-v3 histories, in one commit.
"""

import asyncio
import dataclasses
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.order_journal import OrderJournal
    from workflows.order_steps import (
        APPROVE,
        AUTHORIZE,
        CAPTURE,
        CREATE,
        NOTIFY,
        RESERVE,
        SagaOrder,
    )
    from workflows.saga_runner import Rules
    from workflows.saga_table import Mode, SagaTable

RULES = Rules(undo_all_that_may_have_run=False, recheck_cancel=False)


def _notify_if_patched() -> bool:
    return workflow.patched("notify-customer")  # v2 added it; v1 histories replay without


_COMPLETED_ON_CAPTURE = dataclasses.replace(CAPTURE, reached="COMPLETED")
_NOTIFY = dataclasses.replace(NOTIFY, when=_notify_if_patched)

V3 = SagaTable[SagaOrder]([CREATE, RESERVE, AUTHORIZE, APPROVE, _COMPLETED_ON_CAPTURE, _NOTIFY])
V1_V2 = SagaTable[SagaOrder](
    [
        CREATE,
        RESERVE,
        AUTHORIZE,
        APPROVE,
        dataclasses.replace(_COMPLETED_ON_CAPTURE, mode=Mode.LOCAL_FIRST),
        _NOTIFY,
    ]
)


async def record_steps_before_completing(journal: OrderJournal) -> None:
    """v1/v2: end this workflow task before completing, so its local-activity results are
    stored. It cost a timer (about a second on the server) per order; v3 gets the same
    guarantee from capturing in a regular activity.

    The server refuses a completion when a cancel or an update arrived during the workflow
    task (UnhandledCommand); the retried task would then replay without the markers of the
    local steps that did run, and see the cancel first: an order charged but CANCELLED. A timer
    is a command the server accepts however many events arrived, so the markers are recorded
    with it. A cancel arriving now is too late: the order is settled.
    """
    if not workflow.patched("record-steps-before-completing"):
        return
    barrier = asyncio.create_task(workflow.sleep(timedelta(milliseconds=1)))
    try:
        await asyncio.shield(barrier)
    except asyncio.CancelledError:
        journal.log("cancel", "failed", "cancellation ignored: the order is already settled")
        await barrier
