"""Settings of the Temporal worker process."""

from typing import Literal

from pydantic import Field

from settings.common import TemporalSettings, sqlite_url


class WorkerSettings(TemporalSettings):
    orders_db_url: str = sqlite_url("orders")
    max_concurrent_workflow_tasks: int = Field(default=100, ge=1)
    max_concurrent_activities: int = Field(default=100, ge=1)
    graceful_shutdown_seconds: float = Field(default=10.0, ge=0)
    role: Literal["all", "workflows", "activities"] = Field(
        default="all",
        description="workflows: run sagas (and their local steps) only; activities: only the "
        "regular activities; all: both. Split roles scale each on its own.",
    )
