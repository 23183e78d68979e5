"""Settings of the Temporal worker process."""

from pydantic import Field

from settings.common import TemporalSettings, sqlite_url


class WorkerSettings(TemporalSettings):
    orders_db_url: str = sqlite_url("orders")
    max_concurrent_workflow_tasks: int = Field(default=100, ge=1)
    max_concurrent_activities: int = Field(default=100, ge=1)
    graceful_shutdown_seconds: float = Field(default=10.0, ge=0)
