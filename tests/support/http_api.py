"""The HTTP API in the test's event loop: on fakes, or as a process runs it on a SagaSystem."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI

from api.main import create_app
from api.sagas import Outcome
from ordersaga.contracts.saga import PlaceOrder, SagaState, SagaTimeouts
from ordersaga.settings import ApiSettings
from tests.support.system import SagaSystem

OPERATOR = {"Authorization": "Bearer demo-operator"}
"""The demo operator key: it works outside production while no keys are configured."""


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app in this event loop, its lifespan run, an HTTP client on it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://api", headers=OPERATOR
        ) as http:
            yield http


@contextlib.asynccontextmanager
async def real_api(
    system: SagaSystem, max_wait: float, **changes: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The app as a process runs it: it connects Temporal and RabbitMQ itself, and reads the
    system's read model."""
    settings = ApiSettings(
        temporal_address=system.client.service_client.config.target_host,
        task_queue=system.task_queue,
        rabbitmq_url=system.urls["rabbitmq"],
        bus_prefix=system.topology.prefix,
        max_wait_seconds=max_wait,
        projector_db_url=system.urls["projector"],
        saga_timeouts=SagaTimeouts(step_seconds=30, attempt_seconds=1, compensation_seconds=60),
        **changes,
    )
    async with serving(create_app(settings)) as http:
        yield http


class NoOrders:
    """The order side is not under test here."""

    async def start(self, order: PlaceOrder, fingerprint: str, *, may_exist: bool) -> SagaState:
        raise NotImplementedError

    async def state(self, order_id: str) -> SagaState:
        raise NotImplementedError

    async def customer_of(self, order_id: str) -> str:
        raise NotImplementedError

    async def wait(self, order_id: str, seconds: float) -> Outcome:
        raise NotImplementedError

    async def cancel(self, order_id: str, reason: str, seconds: float) -> Outcome:
        raise NotImplementedError

    async def retry_compensation(self, order_id: str, seconds: float) -> Outcome:
        raise NotImplementedError

    async def ready(self) -> bool:
        return True
