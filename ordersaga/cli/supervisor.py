"""Child processes with their output prefixed by name, stopped together."""

import asyncio
import contextlib
import signal
from collections.abc import Sequence

from ordersaga.cli.say import write_line

STOP_GRACE_SECONDS = 15
CHUNK = 1 << 16


class Supervisor:
    def __init__(self) -> None:
        self.children: dict[str, asyncio.subprocess.Process] = {}
        self._pumps: list[asyncio.Task[None]] = []

    async def start(self, name: str, argv: Sequence[str], env: dict[str, str]) -> None:
        process = await asyncio.create_subprocess_exec(
            *argv,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; we stop the children in order
        )
        self.children[name] = process
        assert process.stdout is not None
        self._pumps.append(asyncio.create_task(_pump(name, process.stdout)))

    def exited(self) -> str | None:
        """The name of a child that has exited, if any has."""
        return next((n for n, p in self.children.items() if p.returncode is not None), None)

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


async def _pump(name: str, stream: asyncio.StreamReader) -> None:
    """Copy a child's output line by line, each line prefixed with the child's name. Reads in
    chunks, so an overlong line is cut rather than stopping the copy (and blocking the child)."""
    pending = b""
    while chunk := await stream.read(CHUNK):
        *lines, pending = (pending + chunk).split(b"\n")
        if len(pending) >= CHUNK:
            lines, pending = [*lines, pending], b""
        for line in lines:
            write_line(name, line.decode(errors="replace").rstrip("\r"))
    if pending:
        write_line(name, pending.decode(errors="replace"))
