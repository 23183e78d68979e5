"""Child processes with their output prefixed by name, stopped together."""

import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

STOP_GRACE_SECONDS = 15


class Supervisor:
    def __init__(self) -> None:
        self.children: dict[str, asyncio.subprocess.Process] = {}
        self._pumps: list[asyncio.Task[None]] = []

    async def start(self, name: str, argv: Sequence[str], env: dict[str, str]) -> None:
        process = await asyncio.create_subprocess_exec(
            *argv,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; we stop the children in order
        )
        self.children[name] = process
        self._pumps.append(asyncio.create_task(_pump(name, process)))

    async def first_exit(self) -> str:
        """Wait until any child exits; returns its name."""
        waits = {asyncio.create_task(p.wait()): n for n, p in self.children.items()}
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return waits[done.pop()]

    async def stop_all(self) -> None:
        """SIGTERM each child, newest first; kill what has not stopped after the grace period."""
        for name in reversed(list(self.children)):
            await _stop(self.children[name])
        for pump in self._pumps:
            with contextlib.suppress(asyncio.CancelledError):
                await pump


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), STOP_GRACE_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()


async def _pump(name: str, process: asyncio.subprocess.Process) -> None:
    assert process.stdout is not None
    async for line in process.stdout:
        sys.stdout.write(f"{name:>9} | {line.decode(errors='replace')}")
        sys.stdout.flush()
