"""An operator's commands at the API, on a faked catalog: operators only, 201/200 with what the
service did and a consistency token, refusals as 409/404/422 with the reason, Idempotency-Key
as the command id, and 503 with Retry-After when the service does not answer."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.routes.catalog import command_id
from ordersaga.contracts.commands import AddProduct, OpenAccount, Restock
from tests.unit.api_fakes import ALICE, OPERATOR, SETTINGS, FakeOrders, FakePositions, FakeStock
from tests.unit.catalog_fakes import FakeCatalog

PRODUCT = {"sku": "NEW-1", "name": "Kettle", "unit_price_cents": 4900, "on_hand": 20}
ACCOUNT = {"customer_id": "dave", "credit_limit_cents": 10_000}


@pytest.fixture
def catalog() -> FakeCatalog:
    return FakeCatalog()


@pytest.fixture
def http(catalog: FakeCatalog, tmp_path: Path) -> Iterator[TestClient]:
    settings = SETTINGS.model_copy(
        update={"projector_db_url": f"sqlite+aiosqlite:///{tmp_path / 'projector.db'}"}
    )
    app = create_app(
        settings,
        temporal_client=FakeOrders(),
        request_client=FakeStock(),
        positions=FakePositions(),
        catalog=catalog,
    )
    with TestClient(app, raise_server_exceptions=False, headers=OPERATOR) as client:
        yield client


def test_an_operator_adds_a_product_then_adding_it_again_changes_nothing(
    http: TestClient, catalog: FakeCatalog
) -> None:
    added = http.post("/products", json=PRODUCT)
    assert added.status_code == 201, added.text
    assert added.headers["Location"] == "/products/NEW-1"
    assert added.headers["X-Consistency-Token"] == "orders:7"
    assert added.json() == {**PRODUCT, "existed": False, "consistency_token": "orders:7"}

    again = http.post("/products", json={**PRODUCT, "on_hand": 5})
    assert again.status_code == 200 and again.json()["existed"] is True
    assert again.json()["on_hand"] == 20
    assert isinstance(catalog.commands[0], AddProduct)
    assert catalog.commands[0].command_id != catalog.commands[1].command_id


def test_a_product_that_exists_with_another_price_is_409_with_the_reason(
    http: TestClient,
) -> None:
    http.post("/products", json=PRODUCT)
    refused = http.post("/products", json={**PRODUCT, "unit_price_cents": 1})
    assert refused.status_code == 409
    assert refused.json() == {"detail": "NEW-1 exists already"}


def test_a_restock_answers_the_stock_after_it_and_an_unknown_sku_is_404(
    http: TestClient, catalog: FakeCatalog
) -> None:
    http.post("/products", json=PRODUCT)
    restocked = http.post("/products/NEW-1/restock", json={"quantity": 5})
    assert restocked.status_code == 200, restocked.text
    assert restocked.json() == {"sku": "NEW-1", "quantity": 5, "on_hand": 25,
                                "consistency_token": "orders:7"}  # fmt: skip
    assert isinstance(catalog.commands[-1], Restock)

    unknown = http.post("/products/NOPE/restock", json={"quantity": 5})
    assert unknown.status_code == 404 and unknown.json() == {"detail": "unknown SKU NOPE"}


def test_a_restock_past_the_most_a_sku_holds_is_422_naming_the_quantity(
    http: TestClient,
) -> None:
    http.post("/products", json={**PRODUCT, "on_hand": 999_999_999})
    refused = http.post("/products/NEW-1/restock", json={"quantity": 2})
    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {"loc": ["body", "quantity"], "msg": "past the most a SKU holds", "type": "value_error"}
    ]


def test_an_operator_opens_an_account_once(http: TestClient, catalog: FakeCatalog) -> None:
    opened = http.post("/customers", json=ACCOUNT)
    assert opened.status_code == 201, opened.text
    assert opened.headers["Location"] == "/customers/dave"
    assert opened.json() == {**ACCOUNT, "blocked": False, "existed": False,
                             "consistency_token": "orders:7"}  # fmt: skip
    assert http.post("/customers", json=ACCOUNT).status_code == 200
    other = http.post("/customers", json={**ACCOUNT, "blocked": True})
    assert other.status_code == 409 and other.json() == {"detail": "dave exists"}
    assert isinstance(catalog.commands[0], OpenAccount)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/products", {**PRODUCT, "unit_price_cents": -1}, "unit_price_cents"),
        ("/products", {**PRODUCT, "sku": "lower"}, "sku"),
        ("/products", {**PRODUCT, "name": "a\u0000b"}, "name"),
        ("/products", {k: v for k, v in PRODUCT.items() if k != "name"}, "name"),
        ("/products/NEW-1/restock", {"quantity": 0}, "quantity"),
        ("/customers", {**ACCOUNT, "customer_id": "no spaces"}, "customer_id"),
        ("/customers", {**ACCOUNT, "credit_limit_cents": 2_000_000_001}, "credit_limit_cents"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    http: TestClient, catalog: FakeCatalog, path: str, body: dict[str, object], field: str
) -> None:
    answer = http.post(path, json=body)
    assert answer.status_code == 422
    assert [error["loc"] for error in answer.json()["detail"]] == [["body", field]]
    assert catalog.commands == []


@pytest.mark.parametrize(
    ("path", "body"),
    [("/products", PRODUCT), ("/products/NEW-1/restock", {"quantity": 1}), ("/customers", ACCOUNT)],
)
def test_only_an_operator_sends_them(
    http: TestClient, catalog: FakeCatalog, path: str, body: dict[str, object]
) -> None:
    assert http.post(path, json=body, headers=ALICE).status_code == 403
    assert http.post(path, json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert catalog.commands == []


def test_an_idempotency_key_is_the_command_id_and_a_reused_one_is_409(
    http: TestClient, catalog: FakeCatalog
) -> None:
    key = {"Idempotency-Key": "seed-1"}
    first = http.post("/products", json=PRODUCT, headers=key)
    retried = http.post("/products", json=PRODUCT, headers=key)
    assert (first.status_code, retried.status_code) == (201, 201)  # the stored reply, again
    assert catalog.commands[0].command_id == catalog.commands[1].command_id
    assert catalog.commands[0].command_id == command_id("add-product", "seed-1")

    other = http.post("/products", json={**PRODUCT, "sku": "NEW-2"}, headers=key)
    assert other.status_code == 409
    assert other.json() == {"detail": "this Idempotency-Key was used for a different request"}

    restock = {"Idempotency-Key": "restock-1"}
    answers = [
        http.post("/products/NEW-1/restock", json={"quantity": 3}, headers=restock)
        for _ in range(2)
    ]
    assert [answer.json()["on_hand"] for answer in answers] == [23, 23]  # restocked once
    reused = http.post("/products/NEW-1/restock", json={"quantity": 4}, headers=restock)
    assert reused.status_code == 409


def test_a_service_that_does_not_answer_is_503_with_retry_after(
    http: TestClient, catalog: FakeCatalog
) -> None:
    catalog.down = True
    for path, body in (("/products", PRODUCT), ("/products/NEW-1/restock", {"quantity": 1}),
                       ("/customers", ACCOUNT)):  # fmt: skip
        answer = http.post(path, json=body)
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"


def test_without_a_broker_or_a_catalog_the_commands_are_503(tmp_path: Path) -> None:
    settings = SETTINGS.model_copy(
        update={"projector_db_url": f"sqlite+aiosqlite:///{tmp_path / 'projector.db'}"}
    )
    app = create_app(settings, temporal_client=FakeOrders(), request_client=FakeStock())
    with TestClient(app, raise_server_exceptions=False, headers=OPERATOR) as client:
        answer = client.post("/customers", json=ACCOUNT)
    assert answer.status_code == 503 and answer.json() == {"detail": "payment service unavailable"}
