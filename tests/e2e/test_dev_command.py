"""The README's run command: `ordersaga dev` brings the whole system up and down."""

import os
import signal
import subprocess
import uuid
from pathlib import Path

import httpx

from ordersaga.rabbitmq.topology import Topology, delete_topology
from tests.e2e.conftest import ORDERSAGA, free_port, wait_for
from tests.support.http_api import OPERATOR


async def test_ordersaga_dev_runs_the_system_and_stops_it_on_ctrl_c(
    rabbitmq_url: str, tmp_path: Path
) -> None:
    api_port, temporal_port, ui_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "ORDERSAGA_RABBITMQ_URL": rabbitmq_url,
        "ORDERSAGA_BUS_PREFIX": f"dev{uuid.uuid4().hex[:8]}",
        "ORDERSAGA_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "ORDERSAGA_TEMPORAL_UI_PORT": str(ui_port),
        "ORDERSAGA_PORT": str(api_port),
    }
    log = (tmp_path / "dev.log").open("wb")
    dev = subprocess.Popen(
        [ORDERSAGA, "dev"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    api = f"http://127.0.0.1:{api_port}"
    try:
        await wait_for(lambda: b"ready." in (tmp_path / "dev.log").read_bytes(), 90)
        async with httpx.AsyncClient(base_url=api, timeout=30, headers=OPERATOR) as http:
            placed = await http.post(
                "/orders?wait=true",
                json={
                    "customer_id": "alice",
                    "items": [{"sku": "SKU-7", "quantity": 1}],
                    "payment_method": "card-4242",
                },
            )
            assert placed.json()["status"] == "COMPLETED", placed.text
            ui = await http.get(f"http://127.0.0.1:{ui_port}/")
            assert ui.status_code == 200
    finally:
        dev.send_signal(signal.SIGINT)
        code = dev.wait(timeout=60)
        await delete_topology(rabbitmq_url, Topology(env["ORDERSAGA_BUS_PREFIX"]))
    output = (tmp_path / "dev.log").read_text(errors="replace")
    assert code == 0, output
    assert "stopping everything" in output
    # The dev server's shutdown noise is not shown to a user who pressed Ctrl-C.
    stopping = output[output.index("stopping everything") :]
    assert "network dial error" not in stopping and "Failed to poll" not in stopping, stopping
    assert " temporal | " in output  # its startup banner is
    assert {p.name for p in (tmp_path / ".ordersaga").iterdir()} >= {
        "inventory.db",
        "payment.db",
        "orders.db",
        "temporal.db",
    }
    with httpx.Client() as http:
        try:
            http.get(f"{api}/health/live", timeout=2)
            raise AssertionError("the API still answers after Ctrl-C")
        except httpx.TransportError:
            pass
