"""Settings of the HTTP API process."""

from pydantic import Field

from contracts.saga import SagaTimeouts
from settings.common import TemporalSettings


class ApiSettings(TemporalSettings):
    host: str = "127.0.0.1"
    port: int = 8000
    max_wait_seconds: float = Field(default=30.0, gt=0, description="cap of ?wait=true")
    saga_timeouts: SagaTimeouts = SagaTimeouts()
