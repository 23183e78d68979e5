"""The FastAPI application, and the composition of its real adapters."""

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from temporalio.client import Client

from api import errors
from api.catalog import BusCatalog, CatalogGateway, NoCatalog
from api.limits import BodyLimit
from api.metrics import RequestMetrics
from api.positions import NoPositions, PositionsGateway, SourceHeads
from api.routes import catalog as catalog_routes
from api.routes import health, inventory, order_views, orders, products
from api.sagas import OrderGateway, TemporalOrders
from api.stock import InventoryStock, StockGateway
from ordersaga import temporal
from ordersaga.access import Credentials
from ordersaga.database.engine import create_reader, session_factory
from ordersaga.projector.reads import ReadModel
from ordersaga.rabbitmq.connection import connect
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import Topology
from ordersaga.settings import ApiSettings
from ordersaga.telemetry.prometheus_meter import serving_metrics
from ordersaga.telemetry.tracing import instrument_app


def create_app(
    settings: ApiSettings | None = None,
    *,
    temporal_client: Client | OrderGateway | None = None,
    request_client: RequestClient | StockGateway | None = None,
    positions: PositionsGateway | None = None,
    catalog: CatalogGateway | None = None,
) -> FastAPI:
    """The app. A client passed in is used instead of connecting one (and left open on
    shutdown); a gateway passed in replaces the adapter around it (tests pass fakes). The read
    model is always the real one, at `settings.projector_db_url`. While it runs it serves
    /metrics on ORDERSAGA_METRICS_PORT, when that is set (api/metrics.py)."""
    settings = settings or ApiSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(serving_metrics(settings))
            app.state.orders = await _orders(settings, temporal_client)
            client = await _request_client(settings, request_client, stack)
            topology = Topology(settings.bus_prefix)
            if client is None:
                assert request_client is not None and not isinstance(request_client, RequestClient)
                app.state.stock = request_client
            else:
                app.state.stock = InventoryStock(client, topology)
            app.state.positions = positions or (
                SourceHeads(client, topology) if client else NoPositions()
            )
            app.state.catalog = catalog or (BusCatalog(client) if client else NoCatalog())
            app.state.read_model = await _read_model(settings, stack)
            yield

    app = FastAPI(
        title="ordersaga",
        summary="Place orders; each runs as a saga across inventory and payment. Reads come "
        "from the read model, and say the positions they reflect.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.credentials = Credentials.of(settings)
    app.add_middleware(BodyLimit)
    app.add_middleware(RequestMetrics)  # outside BodyLimit: a 413 is counted too
    errors.install(app)
    for router in (
        orders.router,
        order_views.router,
        products.router,
        catalog_routes.router,
        inventory.router,
        health.router,
    ):
        app.include_router(router)
    instrument_app(app)  # a span per request when tracing is set up, else nothing
    return app


async def _orders(settings: ApiSettings, given: Client | OrderGateway | None) -> OrderGateway:
    if given is None or isinstance(given, Client):
        client = given or await temporal.connect(settings, settings.temporal_retry_seconds)
        return TemporalOrders(client, settings.task_queue)
    return given


async def _request_client(
    settings: ApiSettings,
    given: RequestClient | StockGateway | None,
    stack: contextlib.AsyncExitStack,
) -> RequestClient | None:
    """The request client to use; None when the stock gateway was given as a fake."""
    if isinstance(given, RequestClient):
        return given
    if given is not None:
        return None
    connection = await connect(settings.rabbitmq_url, "api")
    stack.push_async_callback(connection.close)
    client = RequestClient(connection, Topology(settings.bus_prefix))
    await client.start()
    stack.push_async_callback(client.close)
    return client


async def _read_model(settings: ApiSettings, stack: contextlib.AsyncExitStack) -> ReadModel:
    engine = create_reader(settings.projector_db_url)
    stack.push_async_callback(engine.dispose)
    return ReadModel(session_factory(engine))
