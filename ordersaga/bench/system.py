"""The system a benchmark measures: `ordersaga dev` in a scratch folder, and the floor worker.

Everything runs as it does for a user (the same command, the same processes), on free ports, a
bus prefix and databases of its own, so a run leaves the user's `.ordersaga/` alone and can run
beside another system. The processes' output goes to `<scratch>/system.log`.
"""

import asyncio
import contextlib
import os
import shutil
import socket
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import httpx
import psutil

from ordersaga.rabbitmq.topology import Topology, delete_topology
from ordersaga.waiting import wait_until

START_SECONDS = 90
STOP_SECONDS = 30
FLOOR_QUEUE = "bench-floor"
EVERYONE = {"temporal", "inventory", "payment", "worker", "projector", "api"}


@dataclass
class System:
    """A running scratch system: where to reach it, and its processes."""

    folder: Path
    env: dict[str, str]
    api_url: str
    temporal_address: str
    bus_prefix: str
    task_queue: str
    dev: asyncio.subprocess.Process
    floor: asyncio.subprocess.Process
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def log(self) -> Path:
        return self.folder / "system.log"

    def processes(self) -> dict[str, psutil.Process]:
        """Each process of the system by role: temporal, inventory, payment, worker, projector,
        api (the children of `ordersaga dev`), floor-worker, this one (bench: the load's
        clients, and floor B's worker), and the machine's RabbitMQ node when it can be seen."""
        found = {"bench": psutil.Process(), "floor-worker": psutil.Process(self.floor.pid)}
        for child in psutil.Process(self.dev.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                role = _role(child.cmdline())
                if role is not None:
                    found[role] = child
        broker = _broker()
        if broker is not None:
            found["rabbitmq"] = broker
        return found


def _broker() -> psutil.Process | None:
    """The RabbitMQ node (Erlang's beam.smp running rabbit); it serves whatever else uses it
    too, which on a machine given to the benchmark is nothing."""
    for process in psutil.process_iter(["name", "cmdline"]):
        argv = process.info["cmdline"] or []
        if process.info["name"] == "beam.smp" and any("rabbit" in arg for arg in argv):
            return process
    return None


def _role(argv: list[str]) -> str | None:
    if len(argv) >= 2 and Path(argv[0]).name == "temporal" and argv[1] == "server":
        return "temporal"
    if "ordersaga.cli" in argv:
        return argv[argv.index("ordersaga.cli") + 1]
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def running_system(
    rabbitmq_url: str, keep: bool = False, settings: dict[str, str] | None = None
) -> AsyncIterator[System]:
    """`ordersaga dev` and the floor worker, started in a scratch folder and stopped after."""
    folder = Path(tempfile.mkdtemp(prefix="ordersaga-bench-"))
    temporal_port, api_port = free_port(), free_port()
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "ORDERSAGA_RABBITMQ_URL": rabbitmq_url,
        "ORDERSAGA_BUS_PREFIX": prefix,
        "ORDERSAGA_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "ORDERSAGA_TEMPORAL_UI_PORT": str(free_port()),
        "ORDERSAGA_PORT": str(api_port),
        "ORDERSAGA_STATE_DIR": str(folder),
        **{
            f"ORDERSAGA_{name.upper()}_DB_URL": f"sqlite+aiosqlite:///{folder}/{name}.db"
            for name in ("inventory", "payment", "orders", "projector")
        },  # fmt: skip
        **(settings or {}),
    }
    log = (folder / "system.log").open("ab")
    dev = await _spawn(["-m", "ordersaga.cli", "dev"], env, log)
    floor: asyncio.subprocess.Process | None = None
    try:
        if not await wait_until(lambda: _ready(env, dev), START_SECONDS, lambda: _died(dev)):
            tail = (folder / "system.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the system did not come up; its log ends:\n{tail}")
        # The floor worker once the server answers (it would not wait for it).
        floor_env = {**env, "ORDERSAGA_TASK_QUEUE": FLOOR_QUEUE}
        floor = await _spawn(["-m", "ordersaga.bench.floor_worker"], floor_env, log)
        yield System(
            folder, env, f"http://127.0.0.1:{api_port}", env["ORDERSAGA_TEMPORAL_ADDRESS"],
            prefix, env.get("ORDERSAGA_TASK_QUEUE", "order-saga"), dev, floor,
        )  # fmt: skip
    finally:
        for process in (floor, dev):
            if process is not None:
                await _stop(process)
        log.close()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
            await delete_topology(rabbitmq_url, Topology(prefix))


async def _spawn(args: list[str], env: dict[str, str], log: BinaryIO) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, *args, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=log, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def _died(process: asyncio.subprocess.Process) -> bool:
    return process.returncode is not None


async def _ready(env: dict[str, str], dev: asyncio.subprocess.Process) -> bool:
    """The API answers ready and every process of `ordersaga dev` runs."""
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            answer = await http.get(f"http://127.0.0.1:{env['ORDERSAGA_PORT']}/health/ready")
    except httpx.HTTPError:
        return False
    roles = {_role(child.cmdline()) for child in psutil.Process(dev.pid).children(recursive=True)}
    return answer.status_code == 200 and EVERYONE <= roles


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
