"""The integration tests' real system (dev server, RabbitMQ, worker, participants), reused to
replay executions that just ran."""

from tests.integration.conftest import system, temporal_dev

__all__ = ["system", "temporal_dev"]
