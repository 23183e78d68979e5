"""The integration tests' real system (dev server, RabbitMQ, worker, services), reused to
replay executions that just ran."""

from tests.integration.conftest import saga_backend, system

__all__ = ["saga_backend", "system"]
