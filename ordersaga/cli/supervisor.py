"""Child processes with their output prefixed by name, stopped together.

A child started `quiet_when_stopping` (the Temporal dev server) has its output hidden from the
moment stopping begins: its shutdown is a screen of warnings about connections its own parts
lose. Those lines are kept (the last TAIL_LINES); if the child then does not exit cleanly (a
non-zero code, or killed after the grace period), they are shown after all.
"""

import asyncio
import contextlib
import signal
from collections import deque
from collections.abc import Sequence

from ordersaga.cli.say import say, write_line

STOP_GRACE_SECONDS = 15
CHUNK = 1 << 16
TAIL_LINES = 40
CLEAN_EXITS = (0, -signal.SIGTERM, -signal.SIGINT)


class Supervisor:
    def __init__(self) -> None:
        self.children: dict[str, asyncio.subprocess.Process] = {}
        self.stopping = False
        self._pumps: list[asyncio.Task[None]] = []
        self._hidden: dict[str, deque[str]] = {}

    async def start(
        self,
        name: str,
        argv: Sequence[str],
        env: dict[str, str],
        quiet_when_stopping: bool = False,
    ) -> None:
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
        if quiet_when_stopping:
            self._hidden[name] = deque(maxlen=TAIL_LINES)
        self._pumps.append(asyncio.create_task(self._pump(name, process.stdout)))

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
        """SIGTERM each child, newest first; kill what has not stopped after the grace period.
        A quiet child's hidden lines are shown if it did not exit cleanly."""
        self.stopping = True
        for name in reversed(list(self.children)):
            await _stop(self.children[name])
        for pump in self._pumps:
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        for name, hidden in self._hidden.items():
            code = self.children[name].returncode
            if code not in CLEAN_EXITS and hidden:
                say(f"{name} exited with {code} while stopping; its last lines:")
                for line in hidden:
                    write_line(name, line)

    def _write(self, name: str, line: str) -> None:
        hidden = self._hidden.get(name)
        if hidden is not None and self.stopping:
            hidden.append(line)
        else:
            write_line(name, line)

    async def _pump(self, name: str, stream: asyncio.StreamReader) -> None:
        """Copy a child's output line by line, each line prefixed with the child's name. Reads
        in chunks, so an overlong line is cut rather than stopping the copy (and blocking the
        child)."""
        pending = b""
        while chunk := await stream.read(CHUNK):
            *lines, pending = (pending + chunk).split(b"\n")
            if len(pending) >= CHUNK:
                lines, pending = [*lines, pending], b""
            for line in lines:
                self._write(name, line.decode(errors="replace").rstrip("\r"))
        if pending:
            self._write(name, pending.decode(errors="replace"))


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), STOP_GRACE_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
