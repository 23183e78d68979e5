"""The FastAPI application, and the composition of its real adapters."""

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from api import errors
from api.routes import health, inventory, orders
from api.sagas import Sagas, TemporalSagas
from api.stock import InventoryStock, Stock
from messaging.connection import connect
from messaging.request_reply import RequestClient
from settings.api import ApiSettings
from workflows.client import connect_temporal


def create_app(
    settings: ApiSettings | None = None, *, sagas: Sagas | None = None, stock: Stock | None = None
) -> FastAPI:
    """The app; `sagas` and `stock` replace the real adapters (tests pass fakes)."""
    settings = settings or ApiSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            app.state.sagas = sagas or TemporalSagas(
                await connect_temporal(settings), settings.task_queue
            )
            app.state.stock = stock or await _inventory_stock(settings, stack)
            yield

    app = FastAPI(
        title="ordersaga",
        summary="Place orders; each runs as a saga across inventory and payment.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    errors.install(app)
    for router in (orders.router, inventory.router, health.router):
        app.include_router(router)
    return app


async def _inventory_stock(settings: ApiSettings, stack: contextlib.AsyncExitStack) -> Stock:
    connection = await connect(settings.rabbitmq_url, "api")
    stack.push_async_callback(connection.close)
    client = RequestClient(connection, settings.topology)
    await client.start()
    stack.push_async_callback(client.close)
    return InventoryStock(connection, client, settings.topology)
