"""The invariant auditor: reads every service through its own interface (its Snapshot over
RabbitMQ, Temporal's visibility for the sagas), never their tables, and reports each violation
with what it concerns.

- A COMPLETED order sold its stock (reservation COMMITTED) and was charged once, for its
  total (authorization CAPTURED for exactly that amount).
- A REJECTED or CANCELLED order holds nothing: no reservation RESERVED or COMMITTED, no
  authorization AUTHORIZED or CAPTURED. Nothing is reserved or held for an order that does
  not exist.
- Stock is conserved per SKU (stock_conservation.py): reserved = the sum of open reservations,
  and on hand = what it started with + restocked - committed, where it started with the stock
  it was added with (a ProductAdded in inventory's log) or, against a baseline taken earlier,
  its stock then; restocks and added products are read from inventory's feed.
- Money is conserved per account: captured = the sum of its captured authorizations (its
  completed orders' totals), held = the sum of its open ones.
- No saga is stuck (running past `stuck_after`, or NEEDS_ATTENTION), every order has a saga
  and every saga that has had time to create its order has one.
"""

import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from aio_pika.exceptions import DeliveryError
from temporalio.client import Client, WorkflowExecutionStatus
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_fixed

from ordersaga.contracts.snapshots import InventoryState, OrdersState, PaymentState, SnapshotPage
from ordersaga.projector.feeds import Feeds
from ordersaga.stock_conservation import committed, stock_in, stock_problems
from ordersaga.temporal import ORDER_STATUS

FINAL_CLOSED = ("REJECTED", "CANCELLED")
S = TypeVar("S", InventoryState, OrdersState, PaymentState)
SOURCE_WAIT_SECONDS = 20.0


@dataclass(frozen=True)
class Violation:
    rule: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.subject}: {self.detail}"


@dataclass(frozen=True)
class Saga:
    order_id: str
    running: bool
    started_at: float
    status: str | None


@dataclass(frozen=True)
class Baseline:
    """Stock as it stood before a run: on hand, and what had been committed, per SKU, at
    position `inventory_seq` of inventory's log (0 in a baseline saved before restocks were)."""

    on_hand: dict[str, int]
    committed: dict[str, int]
    inventory_seq: int = 0


SagaLister = Callable[[], Awaitable[list[Saga]]]


@dataclass
class Audit:
    feeds: Feeds
    sagas: SagaLister | None = None
    stuck_after_seconds: float = 600.0
    settle_seconds: float = 60.0
    found: list[Violation] = field(default_factory=list)

    async def baseline(self) -> Baseline:
        page = await self._snapshot("inventory")
        stock = _state(page, InventoryState)
        on_hand = {i.sku: i.on_hand for i in stock.stock_items}
        return Baseline(on_hand, committed(stock), page.seq)

    async def run(self, baseline: Baseline | None = None) -> list[Violation]:
        self.found = []
        orders, inventory = await self._orders(), await self._snapshot("inventory")
        stock, money = _state(inventory, InventoryState), await self._payment()
        self._orders_hold_what_they_should(orders, stock, money)
        await self._stock_is_conserved(stock, inventory.seq, baseline)
        self._money_is_conserved(money)
        if self.sagas is not None:
            self._sagas_match_orders(orders, await self.sagas())
        return self.found

    def _flag(self, rule: str, subject: str, detail: str) -> None:
        self.found.append(Violation(rule, subject, detail))

    def _orders_hold_what_they_should(
        self, orders: OrdersState, stock: InventoryState, money: PaymentState
    ) -> None:
        reservations = {r.order_id: r for r in stock.reservations}
        authorizations = {a.order_id: a for a in money.authorizations}
        known = {o.order_id for o in orders.orders}
        for o in orders.orders:
            r, a = reservations.get(o.order_id), authorizations.get(o.order_id)
            if o.status == "COMPLETED":
                if r is None or r.status != "COMMITTED":
                    self._flag("completed-sold", o.order_id, f"reservation is {_st(r)}")
                if a is None or a.status != "CAPTURED" or a.amount_cents != o.total_cents:
                    got = "none" if a is None else f"{a.status} {a.amount_cents}"
                    self._flag("completed-charged", o.order_id,
                               f"authorization {got}, total {o.total_cents}")  # fmt: skip
            elif o.status in FINAL_CLOSED:
                if r is not None and r.status in ("RESERVED", "COMMITTED"):
                    self._flag(
                        "closed-holds-nothing", o.order_id, f"{o.status} but stock {r.status}"
                    )
                if a is not None and a.status in ("AUTHORIZED", "CAPTURED"):
                    self._flag(
                        "closed-holds-nothing", o.order_id, f"{o.status} but money {a.status}"
                    )
        for order_id, r in reservations.items():
            if order_id not in known and r.status in ("RESERVED", "COMMITTED"):
                self._flag("no-order", order_id, f"stock {r.status} for an order nobody placed")
        for order_id, a in authorizations.items():
            if order_id not in known and a.status in ("AUTHORIZED", "CAPTURED"):
                self._flag("no-order", order_id, f"money {a.status} for an order nobody placed")

    async def _stock_is_conserved(
        self, stock: InventoryState, seq: int, baseline: Baseline | None
    ) -> None:
        came_in = await stock_in(self.feeds, baseline.inventory_seq if baseline else 0, seq)
        before = (baseline.on_hand, baseline.committed) if baseline else (None, None)
        for problem in stock_problems(stock, came_in, *before):
            self._flag(problem.rule, problem.sku, problem.detail)

    def _money_is_conserved(self, money: PaymentState) -> None:
        captured, held = Counter[str](), Counter[str]()
        for a in money.authorizations:
            if a.customer_id is not None and a.status == "CAPTURED":
                captured[a.customer_id] += a.amount_cents
            if a.customer_id is not None and a.status == "AUTHORIZED":
                held[a.customer_id] += a.amount_cents
        for account in money.accounts:
            c = account.customer_id
            if account.captured_cents != captured[c]:
                detail = f"captured {account.captured_cents}, authorizations {captured[c]}"
                self._flag("money-captured", c, detail)
            if account.held_cents != held[c]:
                self._flag("money-held", c, f"held {account.held_cents}, open ones {held[c]}")

    def _sagas_match_orders(self, orders: OrdersState, sagas: list[Saga]) -> None:
        now, by_order = time.time(), {s.order_id: s for s in sagas}
        for s in sagas:
            if s.status == "NEEDS_ATTENTION":
                self._flag("saga-stuck", s.order_id, "NEEDS_ATTENTION: an operator must retry")
            elif s.running and now - s.started_at > self.stuck_after_seconds:
                age = now - s.started_at
                self._flag("saga-stuck", s.order_id, f"running for {age:.0f}s ({s.status})")
        known = {o.order_id for o in orders.orders}
        for o in orders.orders:
            if o.order_id not in by_order:
                self._flag("order-without-saga", o.order_id, f"{o.status}, and no saga has it")
        for s in sagas:
            settled = not s.running or now - s.started_at > self.settle_seconds
            if s.order_id not in known and settled:
                self._flag("saga-without-order", s.order_id, f"saga {s.status}, no order row")

    async def _snapshot(self, source: str) -> SnapshotPage:
        """A service that is starting (its query queue not declared yet) is waited for."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type((TimeoutError, DeliveryError)),
            stop=stop_after_delay(SOURCE_WAIT_SECONDS),
            wait=wait_fixed(0.5),
            reraise=True,
        ):
            with attempt:
                return await self.feeds.snapshot(source)
        raise AssertionError("unreachable")

    async def _orders(self) -> OrdersState:
        return _state(await self._snapshot("orders"), OrdersState)

    async def _payment(self) -> PaymentState:
        return _state(await self._snapshot("payment"), PaymentState)


def _state(page: SnapshotPage, kind: type[S]) -> S:
    assert isinstance(page.state, kind)
    return page.state


def _st(found: object) -> str:
    return "none" if found is None else str(getattr(found, "status", found))


def temporal_sagas(client: Client, task_queue: str) -> SagaLister:
    """The OrderSagas on `task_queue`, as Temporal's visibility lists them."""

    async def sagas() -> list[Saga]:
        query = f'WorkflowType="OrderSaga" AND TaskQueue="{task_queue}"'
        found = []
        async for execution in client.list_workflows(query):
            started = execution.start_time.timestamp() if execution.start_time else time.time()
            found.append(Saga(
                order_id=execution.id.removeprefix("order-"),
                running=execution.status == WorkflowExecutionStatus.RUNNING,
                started_at=started,
                status=execution.typed_search_attributes.get(ORDER_STATUS),
            ))  # fmt: skip
        return found

    return sagas
