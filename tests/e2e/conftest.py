"""The system as a user runs it: each process a real `ordersaga` subprocess, talking to a
Temporal dev server, RabbitMQ and SQLite files, driven over HTTP."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from ordersaga.rabbitmq.topology import Topology, delete_topology

ORDERSAGA = str(Path(sys.executable).parent / "ordersaga")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Processes:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.running[name] = subprocess.Popen(
            [ORDERSAGA, name], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def stop(self, name: str) -> int:
        process = self.running.pop(name)
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown code runs, as when a machine dies."""
        process = self.running.pop(name)
        process.kill()
        process.wait()

    def stop_all(self) -> dict[str, int]:
        return {name: self.stop(name) for name in list(self.running)}

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")


@pytest.fixture
async def processes(
    temporal_dev: WorkflowEnvironment, rabbitmq_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Processes, str]]:
    """inventory, payment, worker, projector and api as subprocesses; yields them and the
    API's URL."""
    port = free_port()
    env = {
        **os.environ,
        "ORDERSAGA_ENVIRONMENT": "test",
        "ORDERSAGA_RABBITMQ_URL": rabbitmq_url,
        "ORDERSAGA_BUS_PREFIX": f"e2e{uuid.uuid4().hex[:8]}",
        "ORDERSAGA_TEMPORAL_ADDRESS": temporal_dev.client.service_client.config.target_host,
        "ORDERSAGA_TASK_QUEUE": f"e2e-{uuid.uuid4().hex[:8]}",
        "ORDERSAGA_PORT": str(port),
        "ORDERSAGA_INVENTORY_DB_URL": f"sqlite+aiosqlite:///{tmp_path / 'inventory.db'}",
        "ORDERSAGA_PAYMENT_DB_URL": f"sqlite+aiosqlite:///{tmp_path / 'payment.db'}",
        "ORDERSAGA_ORDERS_DB_URL": f"sqlite+aiosqlite:///{tmp_path / 'orders.db'}",
        "ORDERSAGA_PROJECTOR_DB_URL": f"sqlite+aiosqlite:///{tmp_path / 'projector.db'}",
    }
    procs = Processes(env, tmp_path)
    for name in ("inventory", "payment", "worker", "projector", "api"):
        procs.start(name)
    api = f"http://127.0.0.1:{port}"
    try:
        await wait_until_ready(api, procs)
        yield procs, api
    finally:
        codes = procs.stop_all()
        # uvicorn shuts down gracefully, then re-raises the SIGTERM it caught: -15 is clean.
        clean = {
            name: code in ((0, -signal.SIGTERM) if name == "api" else (0,))
            for name, code in codes.items()
        }
        unclean = {name: procs.log(name)[-4000:] for name, ok in clean.items() if not ok}
        await delete_topology(rabbitmq_url, Topology(env["ORDERSAGA_BUS_PREFIX"]))
        assert not unclean, (codes, unclean)
        assert "Application shutdown complete" in procs.log("api")


async def wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true after {seconds}s")
        await asyncio.sleep(0.2)


async def wait_until_ready(api: str, procs: Processes, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            for name, process in procs.running.items():
                if process.poll() is not None:
                    pytest.fail(f"{name} exited early:\n{procs.log(name)}")
            try:
                if (await http.get(f"{api}/health/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    pytest.fail(f"the API did not become ready:\n{procs.log('api')}")
