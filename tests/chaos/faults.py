"""The faults a chaos run injects, one at a time, into the e2e system (real `ordersaga`
processes, their SQLite files, RabbitMQ and a restartable Temporal dev server):

- a process SIGKILLed and started again a moment later (worker, inventory, payment, projector);
- every broker connection closed (`rabbitmqctl close_all_connections`);
- the broker stopped and started again (`rabbitmqctl stop_app`, a pause, `start_app`): the
  processes reconnect by themselves, which each one's log shows;
- a participant's database unavailable for a while: the test holds its SQLite write lock;
- the Temporal dev server stopped (SIGTERM) and started again on the same port and file;
- commands delivered twice and out of order: real commands of real orders sent again, two
  copies at once, the later steps first (a compensation before the step it undoes).

Every process must come through each fault by itself: none may exit, and after the broker or
Temporal comes back each one answers again, without the test restarting it.
"""

import asyncio
import contextlib
import random
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.service import RPCError

from ordersaga.contracts.commands import (
    AuthorizePayment,
    CapturePayment,
    Command,
    CommitStock,
    ReleaseStock,
    ReserveStock,
    VoidAuthorization,
)
from ordersaga.contracts.saga import PlaceOrder, SagaState
from ordersaga.projector.feeds import Feeds
from ordersaga.rabbitmq.connection import connect
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import Topology
from ordersaga.temporal import workflow_id
from ordersaga.waiting import port_open, wait_until
from tests.e2e.conftest import Processes
from tests.support.restartable_dev_server import RestartableDevServer
from workflows.order_saga import OrderSaga
from workflows.order_steps import StepName
from workflows.step_calls import CommandIds

PROCESS_KILLS = ("worker", "payment", "inventory", "projector")
FAULTS = (
    *PROCESS_KILLS,
    "broker-connections",
    "broker-restart",
    "database-lock",
    "temporal-restart",
    "duplicate-commands",
)
ON_THE_BUS = ("worker", "inventory", "payment", "projector")
RECONNECTING = "Reconnecting after"
"""What aio-pika's robust connection logs (INFO) when the broker drops it and it goes on."""
READY_LINES = {
    "worker": ("worker polling task queue",),
    "projector": ("projector active (", "another projector is active; standing by"),
}
"""A line each of these logs once it is connected to everything (the participants and the
API are asked instead)."""
UP_SECONDS = 60.0
REPLY_SECONDS = 20.0


def close_broker_connections() -> None:
    rabbitmqctl("close_all_connections", "--global", "chaos")


def restart_broker(pause: float) -> None:
    """`stop_app`, a pause, `start_app`: the node stays, its durable queues and persistent
    messages with it (never `reset`: this is the machine's shared broker). Started again
    whatever happens (blocking: in a thread, so even a test interrupted meanwhile does)."""
    try:
        rabbitmqctl("stop_app")
        time.sleep(pause)
    finally:
        rabbitmqctl("start_app")
        rabbitmqctl("await_startup")


def ensure_broker_running() -> None:
    if not port_open("127.0.0.1", 5672):
        rabbitmqctl("start_app")
        rabbitmqctl("await_startup")


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


def hold_write_lock(database: Path, seconds: float) -> None:
    """Hold a SQLite file's write lock (BEGIN EXCLUSIVE), then give it back (ROLLBACK): for that
    while, every transaction of its service waits or fails (blocking: in a thread)."""
    connection = sqlite3.connect(database, timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def repeats(order: PlaceOrder, state: SagaState, ids: CommandIds) -> list[tuple[str, Command]]:
    """The participant commands the saga has sent (its step log says which), to send again:
    its compensations first, then its steps, the newest first. A release then arrives before
    the reserve it undoes, as a late delivery would.

    Only what it sent: a compensation it never sent would be a forged command, not a copy (a
    release before any reserve leaves a tombstone, which the read model never hears of)."""
    oid, sent, undone = order.order_id, set[str](), set[str]()
    for record in state.steps:
        if record.outcome in ("compensated", "compensation-failed"):
            undone.add(record.step)  # an undo is logged under the step it undoes
        else:
            sent.add(record.step)
    late = "chaos: a copy delivered late"
    undos: list[tuple[str, str, Command]] = [
        (StepName.AUTHORIZE_PAYMENT, "payment",
         VoidAuthorization(command_id=ids.of(StepName.VOID_AUTHORIZATION), order_id=oid,
                           reason=late)),
        (StepName.RESERVE_STOCK, "inventory",
         ReleaseStock(command_id=ids.of(StepName.RELEASE_STOCK), order_id=oid, reason=late)),
    ]  # fmt: skip
    steps: list[tuple[str, str, Command]] = [
        (StepName.COMMIT_STOCK, "inventory",
         CommitStock(command_id=ids.of(StepName.COMMIT_STOCK), order_id=oid)),
        (StepName.CAPTURE_PAYMENT, "payment",
         CapturePayment(command_id=ids.of(StepName.CAPTURE_PAYMENT), order_id=oid)),
        (StepName.AUTHORIZE_PAYMENT, "payment",
         AuthorizePayment(command_id=ids.of(StepName.AUTHORIZE_PAYMENT), order_id=oid,
                          customer_id=order.customer_id, payment_method=order.payment_method,
                          amount_cents=state.total_cents or 0)),
        (StepName.RESERVE_STOCK, "inventory",
         ReserveStock(command_id=ids.of(StepName.RESERVE_STOCK), order_id=oid,
                      items=order.items)),
    ]  # fmt: skip
    return [(service, command) for step, service, command in undos if step in undone] + [
        (service, command) for step, service, command in steps if step in sent
    ]


@dataclass
class Chaos:
    """Injects the faults into a running system and checks it comes through each one."""

    procs: Processes
    http: httpx.AsyncClient
    temporal: RestartableDevServer
    folder: Path
    placed: dict[str, PlaceOrder]
    rng: random.Random
    probe: Feeds
    requests: tuple[RequestClient, RequestClient]
    repeated: int = 0
    """Commands sent twice (each copy answered alike)."""
    _log_at_start: dict[str, int] = field(default_factory=dict)

    @property
    def client(self) -> Client:
        return self.temporal.client

    async def inject(self, fault: str) -> None:
        if fault in PROCESS_KILLS:
            self.procs.kill(fault)
            await asyncio.sleep(self.rng.uniform(0.5, 3.0))
            self._log_at_start[fault] = len(self.procs.log(fault))
            self.procs.start(fault)
        elif fault == "broker-connections":
            await asyncio.to_thread(close_broker_connections)
        elif fault == "broker-restart":
            await self._restart_broker(self.rng.uniform(1.0, 3.0))
        elif fault == "database-lock":
            database = self.folder / f"{self.rng.choice(['inventory', 'payment'])}.db"
            await asyncio.to_thread(hold_write_lock, database, self.rng.uniform(2.0, 4.0))
        elif fault == "temporal-restart":
            await self._restart_temporal(self.rng.uniform(0.5, 2.0))
        elif fault == "duplicate-commands":
            await self._duplicate_commands()
        else:
            raise ValueError(f"no such fault: {fault}")
        self.none_exited()

    def none_exited(self) -> None:
        """No process exits by itself: each one rides out every fault."""
        exited = {
            name: p.returncode for name, p in self.procs.running.items() if p.poll() is not None
        }
        assert not exited, f"exited: {exited}\n" + "\n".join(
            f"--- {name}\n{self.procs.log(name)[-3000:]}" for name in exited
        )

    async def _restart_broker(self, pause: float) -> None:
        """Each process reconnects by itself: the same process answers again, and its log
        shows it lost the broker and went on."""
        await self.until_up()  # a process still starting would fail to connect, and exit
        processes = dict(self.procs.running)
        reconnects = {name: self.procs.log(name).count(RECONNECTING) for name in ON_THE_BUS}
        await asyncio.to_thread(restart_broker, pause)
        await self.until_up()
        assert self.procs.running == processes, "the test restarted nobody"
        quiet = [n for n in ON_THE_BUS if self.procs.log(n).count(RECONNECTING) <= reconnects[n]]
        assert not quiet, f"{quiet} logged no reconnect to the broker after its restart"

    async def _restart_temporal(self, pause: float) -> None:
        """The worker and the API reconnect by themselves: the API is ready again and the
        worker answers a saga's query."""
        await self.until_up()
        await self.temporal.restart(pause)
        await self.until_up()
        if self.placed:
            order_id = next(iter(self.placed))
            assert await wait_until(lambda: self._queryable(order_id), UP_SECONDS), (
                "the worker does not answer queries since Temporal restarted:\n"
                + self.procs.log("worker")[-3000:]
            )

    async def _duplicate_commands(self) -> None:
        """Real commands of a few orders sent again, two copies at once, compensations first
        (sagas that compensated preferred: theirs go out of order); both copies get the same
        reply (the participant handled the command once), and the auditor, at the end, finds
        nothing held twice or left behind."""
        await self.until_up()  # this connection too: the last fault may have just dropped it
        sampled = self.rng.sample(list(self.placed), min(len(self.placed), 10))
        sagas = [found for order_id in sampled if (found := await self._saga(order_id))]
        sagas.sort(key=lambda saga: (not _compensated(saga[0]), not saga[0].status.is_final))
        for state, ids in sagas[:3]:
            for service, command in repeats(self.placed[state.order_id], state, ids):
                first, again = await asyncio.gather(
                    *(r.send_command(service, command, REPLY_SECONDS) for r in self.requests)
                )
                assert first == again, f"{command.command_id}: {first} then {again}"
                self.repeated += 1

    async def _saga(self, order_id: str) -> tuple[SagaState, CommandIds] | None:
        """The saga's state and its command ids; None while no worker answers."""
        handle = self.client.get_workflow_handle_for(OrderSaga.run, workflow_id(order_id))
        try:
            description = await handle.describe()
            state = await handle.query(OrderSaga.state, rpc_timeout=timedelta(seconds=5))
        except RPCError:
            return None
        return state, CommandIds(description.id, description.run_id)

    async def _queryable(self, order_id: str) -> bool:
        return await self._saga(order_id) is not None

    async def until_up(self) -> None:
        """Every process up and answering: the API ready (Temporal and the broker), the worker
        and the participants answering on the bus, each fresh start connected."""
        down: list[str] = []

        async def up() -> bool:
            nonlocal down
            self.none_exited()
            down = [name for name in self.procs.running if not await self._up(name)]
            return not down

        assert await wait_until(up, UP_SECONDS, poll=0.3), f"not up after {UP_SECONDS}s: {down}"

    async def _up(self, name: str) -> bool:
        if name == "api":
            try:
                return (await self.http.get("/health/ready")).status_code == 200
            except httpx.TransportError:
                return False
        if name in READY_LINES:
            since = self.procs.log(name)[self._log_at_start.get(name, 0) :]
            if not any(line in since for line in READY_LINES[name]):
                return False
        if name in ("worker", "inventory", "payment"):
            return await answering(self.probe, "orders" if name == "worker" else name)
        return True


async def answering(feeds: Feeds, source: str) -> bool:
    """`source` answers a query over this connection (which may itself be reconnecting)."""
    try:
        await feeds.head(source)
    except Exception:  # not yet: no queue, no consumer, a channel closed, no answer in time
        return False
    return True


def _compensated(state: SagaState) -> bool:
    return any(record.outcome == "compensated" for record in state.steps)


@contextlib.asynccontextmanager
async def chaos(
    procs: Processes,
    http: httpx.AsyncClient,
    temporal: RestartableDevServer,
    folder: Path,
    placed: dict[str, PlaceOrder],
    rng: random.Random,
) -> AsyncIterator[Chaos]:
    """A Chaos with a broker connection of its own (robust: it comes back after a restart)."""
    topology = Topology(procs.env["ORDERSAGA_BUS_PREFIX"])
    async with await connect(procs.env["ORDERSAGA_RABBITMQ_URL"], "chaos") as connection:
        clients = RequestClient(connection, topology), RequestClient(connection, topology)
        for client in clients:
            await client.start()
        probe = Feeds(clients[0], topology, timeout_seconds=3)
        try:
            yield Chaos(procs, http, temporal, folder, placed, rng, probe, clients)
        finally:
            for client in clients:
                await client.close()
