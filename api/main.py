"""The FastAPI application, and the composition of its real adapters."""

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from temporalio.client import Client

from api import errors
from api.routes import health, inventory, orders
from api.sagas import OrderGateway, TemporalOrders
from api.stock import InventoryStock, StockGateway
from ordersaga import temporal
from ordersaga.rabbitmq.connection import connect
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import Topology
from ordersaga.settings import ApiSettings


def create_app(
    settings: ApiSettings | None = None,
    *,
    temporal_client: Client | OrderGateway | None = None,
    request_client: RequestClient | StockGateway | None = None,
) -> FastAPI:
    """The app. A client passed in is used instead of connecting one (and left open on
    shutdown); a gateway passed in replaces the adapter around it (tests pass fakes)."""
    settings = settings or ApiSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            app.state.orders = await _orders(settings, temporal_client)
            app.state.stock = await _stock(settings, request_client, stack)
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


async def _orders(settings: ApiSettings, given: Client | OrderGateway | None) -> OrderGateway:
    if given is None or isinstance(given, Client):
        return TemporalOrders(given or await temporal.connect(settings), settings.task_queue)
    return given


async def _stock(
    settings: ApiSettings,
    given: RequestClient | StockGateway | None,
    stack: contextlib.AsyncExitStack,
) -> StockGateway:
    topology = Topology(settings.bus_prefix)
    if isinstance(given, RequestClient):
        return InventoryStock(given, topology)
    if given is not None:
        return given
    connection = await connect(settings.rabbitmq_url, "api")
    stack.push_async_callback(connection.close)
    client = RequestClient(connection, topology)
    await client.start()
    stack.push_async_callback(client.close)
    return InventoryStock(client, topology)
