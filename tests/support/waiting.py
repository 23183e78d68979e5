"""Polling in tests: `ordersaga.waiting.wait_until`, failing the test when time runs out."""

from collections.abc import Awaitable, Callable

from ordersaga.waiting import wait_until


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 20) -> None:
    """Poll `check` until it holds; for state that settles asynchronously."""
    if not await wait_until(check, seconds):
        raise TimeoutError(f"not true after {seconds}s: {getattr(check, '__name__', check)}")
