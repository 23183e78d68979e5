"""The integration tests' real system (dev server, RabbitMQ, worker, participants), reused to
replay executions that just ran."""

from tests.integration.conftest import system

__all__ = ["system"]
