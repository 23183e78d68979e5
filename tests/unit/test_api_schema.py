"""schemathesis against the app's own OpenAPI schema, on the fake saga gateway and catalog and a
real (SQLite) read model, with an operator's key: every operation, and sequences through the
schema's links (place -> read -> cancel), answer within the schema and never 5xx."""

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from api.main import create_app
from ordersaga.database.engine import create_engine
from ordersaga.projector import catalog, store
from ordersaga.projector.views import builds, serving, views
from tests.unit.api_fakes import OPERATOR, SETTINGS, FakeOrders, FakePositions, FakeStock
from tests.unit.catalog_fakes import FakeCatalog

BEYOND_THE_SCHEMA = [positive_data_acceptance]
"""An order's rules that JSON Schema cannot say (one line per SKU, at most 10,000 units in all)
refuse some schema-valid bodies with 422 and the reason; every other check runs."""
EXAMPLES = settings(
    max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


def _app() -> FastAPI:
    url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='ordersaga-schema-')) / 'rm.db'}"
    asyncio.run(_serving_read_model(url))
    return create_app(
        SETTINGS.model_copy(update={"projector_db_url": url, "read_wait_seconds": 0.1}),
        temporal_client=FakeOrders(),
        request_client=FakeStock(),
        positions=FakePositions(),
        catalog=FakeCatalog(),
    )


async def _serving_read_model(url: str) -> None:
    """An empty build 1 that serves, so reads answer 200 with their documented shapes."""
    engine = create_engine(url)
    try:
        await catalog.create_catalog(engine)
        async with engine.begin() as connection:
            await store.create_build(connection, views(1))
        async with engine.begin() as connection:
            await connection.execute(builds.insert().values(
                build=1, shape=1, state="ready", created_at=0, switch_when_ready=1))  # fmt: skip
            await connection.execute(serving.insert().values(id=1, build=1, switched_at=0))
    finally:
        await engine.dispose()


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.auth()
class OperatorKey:
    """Every generated call carries an operator's key, as schemathesis' own auth."""

    def get(self, case: Any, context: Any) -> str:
        return OPERATOR["Authorization"]

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": data}


@schema.parametrize()
@EXAMPLES
def test_every_operation_answers_within_its_schema_and_never_5xx(case: Any) -> None:
    case.call_and_validate(excluded_checks=BEYOND_THE_SCHEMA)


class Sequences(schema.as_state_machine()):  # type: ignore[misc]
    """Sequences of calls along the schema's links, checked like single calls."""

    def validate_response(self, response: Any, case: Any, *_: Any, **kwargs: Any) -> None:
        case.validate_response(
            response, excluded_checks=BEYOND_THE_SCHEMA, transport_kwargs=kwargs or None
        )


def test_place_then_read_then_cancel_through_the_links() -> None:
    Sequences.run(
        settings=settings(
            max_examples=15,
            deadline=None,
            stateful_step_count=4,
            suppress_health_check=list(HealthCheck),
        )
    )
