"""The floors the saga is measured against: workflows with its shape and no work in their steps.

- **Floor A** (`SagaShape`): the order saga's happy path as Temporal sees it, with no-op steps:
  create, reserve, authorize and approve as local activities, capture and commit as two regular
  activities side by side, then complete and notify as local activities. Started the way the
  saga is started, run by a worker with the saga worker's settings.
- **Floor B** (`FiveLocal`): five no-op local activities, started eagerly from the process that
  runs their worker: the fastest a workflow goes through Temporal on this machine.

Each step's timeout matches the saga's first tries (`SagaTimeouts().attempt`), so a floor's step
that runs past it counts as timed out just as a saga step would.
"""

import asyncio
from datetime import timedelta

from temporalio import activity, workflow

STEP_TIMEOUT = timedelta(seconds=5)
LOCAL_BEFORE_PIVOT = 4  # create, reserve, authorize, approve
REGULAR_AT_ONCE = 2  # capture and commit, side by side
LOCAL_AFTER = 2  # complete, notify
EAGER_LOCAL_STEPS = 5


@activity.defn(name="bench-noop")
async def noop(step: str) -> str:
    """A step that does nothing: what is left of its cost is Temporal's."""
    return step


@workflow.defn(name="BenchSagaShape")
class SagaShape:
    """Floor A: the saga's happy path, step for step, with no-op steps."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        for n in range(LOCAL_BEFORE_PIVOT):
            await _local(f"{order_id}:{n}")
        await asyncio.gather(
            *(
                workflow.execute_activity(
                    noop, f"{order_id}:regular-{n}", start_to_close_timeout=STEP_TIMEOUT
                )
                for n in range(REGULAR_AT_ONCE)
            )
        )
        for n in range(LOCAL_AFTER):
            await _local(f"{order_id}:after-{n}")
        return order_id


@workflow.defn(name="BenchFiveLocal")
class FiveLocal:
    """Floor B: five no-op local activities."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        for n in range(EAGER_LOCAL_STEPS):
            await _local(f"{order_id}:{n}")
        return order_id


async def _local(step: str) -> str:
    return await workflow.execute_local_activity(noop, step, start_to_close_timeout=STEP_TIMEOUT)
