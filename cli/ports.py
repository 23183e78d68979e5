"""Waiting for things to come up, without ever waiting forever."""

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable


def port_open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if port_open(host, port):
            return True
        time.sleep(0.3)
    return False


async def wait_until(
    ready: Callable[[], Awaitable[bool]], seconds: float, give_up: Callable[[], bool]
) -> bool:
    """Poll `ready` until it holds, `seconds` pass, or `give_up()` says stop trying."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not give_up():
        if await ready():
            return True
        await asyncio.sleep(0.3)
    return False


async def port_answers(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True
