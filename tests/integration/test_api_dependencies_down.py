"""Stopping what the API depends on: Temporal stopped, RabbitMQ's app stopped. Every answer is a
503 with Retry-After and a message, never a 500 and never a hang."""

import asyncio
import subprocess
from pathlib import Path

import pytest

from api.main import create_app
from ordersaga.settings import ApiSettings
from ordersaga.waiting import port_answers, wait_until
from tests.support.dev_server import dev_server
from tests.support.http_api import NoOrders, serving

ORDER = {"customer_id": "alice", "items": [{"sku": "SKU-42", "quantity": 1}],
         "payment_method": "card-4242"}  # fmt: skip


async def test_temporal_stopped_answers_503_with_retry_after(
    rabbitmq_url: str, tmp_path: Path
) -> None:
    async with dev_server() as temporal_env:
        settings = ApiSettings(
            temporal_address=temporal_env.client.service_client.config.target_host,
            task_queue="nobody-polls",
            rabbitmq_url=rabbitmq_url,
            bus_prefix="down-test",
            projector_db_url=f"sqlite+aiosqlite:///{tmp_path / 'projector.db'}",
        )
        async with serving(create_app(settings)) as http:
            placed = await http.post("/orders", json=ORDER)
            assert placed.status_code == 202
            order_id = placed.json()["order_id"]
            await temporal_env.shutdown()
            async with asyncio.timeout(30):
                answers = [
                    await http.post("/orders", json=ORDER),
                    await http.get(f"/orders/{order_id}/saga"),
                    await http.get(f"/orders/{order_id}"),
                    await http.post(f"/orders/{order_id}/cancel"),
                ]
            for answer in answers:
                assert answer.status_code == 503, answer.text
                assert answer.headers["Retry-After"] == "1" and answer.json()["detail"]


async def test_rabbitmq_stopped_answers_503_with_retry_after(
    rabbitmq_url: str, tmp_path: Path
) -> None:
    settings = ApiSettings(
        rabbitmq_url=rabbitmq_url,
        bus_prefix="down-test",
        projector_db_url=f"sqlite+aiosqlite:///{tmp_path / 'projector.db'}",
    )
    async with serving(create_app(settings, temporal_client=NoOrders())) as http:
        _rabbitmqctl("stop_app")
        try:
            async with asyncio.timeout(30):
                stock = await http.get("/inventory/SKU-42")
            assert stock.status_code == 503 and stock.headers["Retry-After"] == "1"
            ready = await http.get("/health/ready")
            assert ready.status_code == 503 and ready.json()["checks"]["rabbitmq"] is False
        finally:
            _rabbitmqctl("start_app")
            assert await wait_until(lambda: port_answers("127.0.0.1", 5672), 60)


def _rabbitmqctl(command: str) -> None:
    done = subprocess.run(["rabbitmqctl", command], capture_output=True, timeout=60)
    if done.returncode != 0:
        pytest.fail(f"rabbitmqctl {command}: {done.stderr.decode(errors='replace')}")
