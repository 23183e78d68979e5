"""Running a process's main coroutine until SIGINT or SIGTERM asks it to stop.

The logs are configured first (ordersaga/telemetry/logs.py), and tracing is set up as the
settings say (ordersaga/telemetry/tracing.py; the spans at hand are exported on the way out).
The first signal sets the `stop` event the main coroutine waits on: it stops taking work and
lets the work in flight finish, each process within its own bound. A second signal does not
wait for that: the main coroutine is cancelled and the process exits 1.
"""

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from ordersaga.telemetry.logs import configure_logging
from ordersaga.telemetry.settings import TelemetrySettings
from ordersaga.telemetry.tracing import setup_tracing, stop_tracing

log = logging.getLogger("ordersaga.process")


def run_until_signalled(
    main: Callable[[asyncio.Event], Awaitable[None]], settings: TelemetrySettings, process: str
) -> None:
    configure_logging(settings, process)
    setup_tracing(settings, process)

    async def serve() -> None:
        stop = asyncio.Event()
        loop, running = asyncio.get_running_loop(), asyncio.current_task()
        assert running is not None

        def signalled(sig: signal.Signals) -> None:
            if stop.is_set():
                log.warning("%s again: %s stops now, not waiting for work in flight",
                            sig.name, process)  # fmt: skip
                running.cancel()
                return
            log.info("%s: %s is stopping; work in flight may finish", sig.name, process)
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, signalled, sig)
        await main(stop)
        log.info("%s stopped", process)

    try:
        asyncio.run(serve())
    except asyncio.CancelledError:
        raise SystemExit(1) from None
    finally:
        stop_tracing()
