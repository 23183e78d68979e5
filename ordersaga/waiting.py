"""Waiting for something to become true, never forever: the one polling helper (tenacity's
retrying, so no loop of ours decides when to try again)."""

import asyncio
import socket
from collections.abc import Awaitable, Callable

from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_result,
    stop_after_delay,
    wait_fixed,
)

POLL_SECONDS = 0.1


async def wait_until(
    ready: Callable[[], Awaitable[bool]],
    seconds: float,
    give_up: Callable[[], bool] = lambda: False,
    poll: float = POLL_SECONDS,
) -> bool:
    """Ask `ready` until it answers True (then True), `seconds` pass or `give_up()` (False)."""
    retrying = AsyncRetrying(
        stop=stop_after_delay(seconds),
        wait=wait_fixed(poll),
        retry=retry_if_result(lambda answer: answer is not True and not give_up()),
    )

    async def ask() -> bool:  # a coroutine function, as tenacity needs to await it
        return await ready()

    try:
        return bool(await retrying(ask))
    except RetryError:
        return False


async def port_answers(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


def port_open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, seconds: float) -> bool:
    """For code that is not async yet (before the event loop starts)."""
    return asyncio.run(wait_until(lambda: port_answers(host, port), seconds, poll=0.3))
