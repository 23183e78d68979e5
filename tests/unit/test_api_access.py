"""Access control: a customer's key acts on its own orders only, and the order's customer is
the key's; operator endpoints need an operator's key; no key, or an unknown one, is a 401."""

import json

import pytest
import typer
from fastapi.testclient import TestClient

from ordersaga.access import Credentials
from ordersaga.cli.operator import require_operator
from ordersaga.settings import ApiSettings, ServiceSettings, key_digest
from tests.unit.api_fakes import ALICE, BOB, ORDER, FakeOrders, http, orders, stock

__all__ = ["http", "orders", "stock"]


def test_without_a_key_or_with_an_unknown_one_nothing_is_answered_but_health(
    http: TestClient, orders: FakeOrders
) -> None:
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer nope"}):
        answer = http.post("/orders", json=ORDER, headers=headers)
        assert answer.status_code == 401 and "API key" in answer.json()["detail"]
        assert http.get("/products", headers=headers).status_code == 401
    assert orders.started == {}
    assert http.get("/health/live", headers={"Authorization": ""}).status_code == 200


def test_a_customer_places_orders_as_itself_only(http: TestClient, orders: FakeOrders) -> None:
    mine = http.post("/orders", json={**ORDER, "customer_id": None}, headers=ALICE)
    assert mine.status_code == 202 and mine.json()["customer_id"] == "alice"
    for_bob = http.post("/orders", json={**ORDER, "customer_id": "bob"}, headers=ALICE)
    assert for_bob.status_code == 403 and "alice" in for_bob.json()["detail"]
    assert len(orders.started) == 1


def test_a_customer_reads_and_cancels_its_own_orders_only(http: TestClient) -> None:
    order_id = http.post("/orders", json=ORDER, headers=ALICE).json()["order_id"]
    assert http.get(f"/orders/{order_id}", headers=ALICE).status_code == 200
    for path in (f"/orders/{order_id}", f"/orders/{order_id}/saga"):
        assert http.get(path, headers=BOB).status_code == 404  # not even that it exists
    assert http.post(f"/orders/{order_id}/cancel", headers=BOB).status_code == 404
    assert http.post(f"/orders/{order_id}/cancel", headers=ALICE).status_code == 200
    assert http.get("/customers/alice", headers=BOB).status_code == 404


def test_operator_endpoints_need_an_operator_key(http: TestClient) -> None:
    order_id = http.post("/orders", json=ORDER, headers=ALICE).json()["order_id"]
    refused = http.post(f"/orders/{order_id}/retry-compensation", headers=ALICE)
    assert refused.status_code == 403 and "operator" in refused.json()["detail"]
    assert http.post(f"/orders/{order_id}/retry-compensation").status_code == 409  # operator


def test_an_operator_names_the_customer(http: TestClient) -> None:
    answer = http.post("/orders", json={**ORDER, "customer_id": None})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == [
        "body",
        "customer_id",
    ]


def test_keys_are_kept_as_digests_and_the_demo_keys_are_refused_in_production() -> None:
    digest = key_digest("s3cret")
    keys = Credentials.of(ApiSettings(api_keys={digest: "customer:dave"}))
    found = keys.principal("s3cret")
    assert found is not None and found.customer_id == "dave"
    assert keys.principal("demo-alice") is None  # configured keys replace the demo ones
    with pytest.raises(ValueError, match="required in production"):
        ApiSettings(environment="production", rabbitmq_url="amqp://u:p@h/")
    with pytest.raises(ValueError, match="demo key"):
        ApiSettings(environment="production", rabbitmq_url="amqp://u:p@h/",
                    api_keys={key_digest("demo-operator"): "operator"})  # fmt: skip
    with pytest.raises(ValueError, match="SHA-256"):
        ApiSettings(api_keys={"s3cret": "operator"})


def test_operator_subcommands_need_an_operator_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORDERSAGA_API_KEY", raising=False)
    require_operator()  # outside production the demo operator key is the default
    monkeypatch.setenv("ORDERSAGA_API_KEY", "demo-alice")
    with pytest.raises(typer.Exit):
        require_operator()
    monkeypatch.setenv("ORDERSAGA_API_KEYS", json.dumps({key_digest("op-1"): "operator"}))
    monkeypatch.setenv("ORDERSAGA_API_KEY", "op-1")
    require_operator()


def test_production_refuses_a_database_with_a_default_or_no_password() -> None:
    broker = "amqp://u:p@h/"
    for url in ("postgresql+asyncpg://postgres@db/x", "postgresql+asyncpg://app:postgres@db/x"):
        with pytest.raises(ValueError, match="ORDERSAGA_INVENTORY_DB_URL"):
            ServiceSettings(environment="production", rabbitmq_url=broker, inventory_db_url=url)
    strong = "postgresql+asyncpg://app:Zq8-long-secret@db/x"
    ServiceSettings(environment="production", rabbitmq_url=broker, inventory_db_url=strong,
                    payment_db_url=strong, orders_db_url=strong)  # fmt: skip
