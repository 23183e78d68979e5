"""Through the HTTP API, against the dev server, with every process running for real."""

import asyncio
import uuid

import httpx

from tests.e2e.conftest import Processes
from tests.support.http_api import OPERATOR

ORDER = {
    "customer_id": "alice",
    "items": [{"sku": "SKU-42", "quantity": 2}],
    "payment_method": "card-4242",
}


async def test_an_order_placed_over_http_completes_and_can_be_read_back(
    processes: tuple[Processes, str],
) -> None:
    _, api = processes
    async with httpx.AsyncClient(base_url=api, timeout=30, headers=OPERATOR) as http:
        placed = await http.post(
            "/orders?wait=true", json=ORDER, headers={"Idempotency-Key": uuid.uuid4().hex}
        )
        assert placed.status_code == 200, placed.text
        order = placed.json()
        assert order["status"] == "COMPLETED"
        token = {"X-Consistency-Token": placed.headers["X-Consistency-Token"]}
        view = await http.get(f"/orders/{order['order_id']}", headers=token)
        assert view.status_code == 200 and view.json()["status"] == "COMPLETED"
        assert view.json()["as_of"]["source"] == "read-model"
        assert {e["source"] for e in view.json()["timeline"]} == {"orders", "inventory", "payment"}
        read = await http.get(f"/orders/{order['order_id']}/saga")
        assert read.status_code == 200 and read.json()["status"] == "COMPLETED"
        done = [s["step"] for s in read.json()["steps"] if s["outcome"] == "done"]
        assert done[:4] == ["create-order", "reserve-stock", "authorize-payment", "approve-order"]
        assert sorted(done[4:6]) == ["capture-payment", "commit-stock"]  # concurrently
        assert done[6:] == ["complete-order", "notify-customer"]
        refused = await http.post(f"/orders/{order['order_id']}/cancel", json={})
        assert refused.status_code == 409, refused.text
        stock = await http.get("/inventory/SKU-42")
        assert stock.status_code == 200
        assert (stock.json()["on_hand"], stock.json()["reserved"]) == (98, 0)  # sold, not held
        product = await http.get("/products/SKU-42", headers=token)
        assert (product.json()["on_hand"], product.json()["available"]) == (98, 98)


async def test_rejections_and_bad_input_get_clear_answers(
    processes: tuple[Processes, str],
) -> None:
    _, api = processes
    async with httpx.AsyncClient(base_url=api, timeout=30, headers=OPERATOR) as http:
        rejected = await http.post("/orders?wait=true", json={**ORDER, "customer_id": "mallory"})
        assert rejected.status_code == 200
        assert rejected.json()["status"] == "REJECTED"
        assert "declined" in rejected.json()["reason"]
        malformed = await http.post(
            "/orders", json={**ORDER, "items": [{"sku": "SKU-42", "quantity": 0}]}
        )
        assert malformed.status_code == 422
        assert "quantity" in malformed.text
        assert (await http.get(f"/orders/{uuid.uuid4().hex}")).status_code == 404


async def test_the_same_idempotency_key_posted_concurrently_starts_one_saga(
    processes: tuple[Processes, str],
) -> None:
    _, api = processes
    key = {"Idempotency-Key": uuid.uuid4().hex}
    async with httpx.AsyncClient(base_url=api, timeout=30, headers=OPERATOR) as http:
        answers = await asyncio.gather(
            *(http.post("/orders", json=ORDER, headers=key) for _ in range(5))
        )
        assert all(a.status_code in (200, 202) for a in answers), [a.text for a in answers]
        assert len({a.json()["order_id"] for a in answers}) == 1
        order_id = answers[0].json()["order_id"]
        done = await http.post("/orders?wait=true", json=ORDER, headers=key)
        assert done.json()["order_id"] == order_id
        assert done.json()["status"] == "COMPLETED"
        stock = await http.get("/inventory/SKU-42")
        assert stock.json()["on_hand"] == 98  # one saga sold 2, not five


async def test_an_idempotency_key_reused_for_a_different_order_is_refused(
    processes: tuple[Processes, str],
) -> None:
    _, api = processes
    key = {"Idempotency-Key": uuid.uuid4().hex}
    async with httpx.AsyncClient(base_url=api, timeout=30, headers=OPERATOR) as http:
        assert (await http.post("/orders", json=ORDER, headers=key)).status_code == 202
        other = {**ORDER, "items": [{"sku": "SKU-7", "quantity": 1}]}
        reused = await http.post("/orders", json=other, headers=key)
        assert reused.status_code == 409
        assert "different order" in reused.json()["detail"]
