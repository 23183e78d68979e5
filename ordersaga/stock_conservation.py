"""Stock conservation per SKU, as the auditor checks it through inventory's own interfaces: its
Snapshot (stock items and reservations at a position of its log) and its feed (the log itself).

- reserved = the sum of the SKU's open (RESERVED) reservations;
- on hand = what it started with + restocked - sold (committed reservations). It started with
  the stock its ProductAdded event brought, for a SKU added by an operator; else with its stock
  in a baseline taken earlier (seed stock never was an event, so without a baseline it is not
  checked). Restocks and products added are read from the feed between the baseline's position
  (or the start) and the snapshot's.
"""

from collections import Counter
from dataclasses import dataclass, field

from ordersaga.contracts.events import ProductAdded, StockRestocked
from ordersaga.contracts.snapshots import InventoryState
from ordersaga.projector.feeds import Feeds

PAGE = 2000


@dataclass
class StockIn:
    """What came into stock between two positions of inventory's log, per SKU."""

    added: dict[str, int] = field(default_factory=dict)
    """SKU -> the on hand it was added with."""
    restocked: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class StockProblem:
    rule: str
    sku: str
    detail: str


async def stock_in(feeds: Feeds, after: int, until: int) -> StockIn:
    """The products added and the restocks in inventory's log, in (after, until]."""
    found = StockIn()
    while after < until:
        page = await feeds.page("inventory", after, PAGE)
        for envelope in page.events:
            event = envelope.event
            if envelope.seq > until:
                break
            if isinstance(event, ProductAdded):
                found.added[event.sku] = event.on_hand
            elif isinstance(event, StockRestocked):
                found.restocked[event.sku] += event.quantity
        seqs = [e.seq for e in page.events] + [p.seq for p in page.parked]
        if not seqs:
            break
        after = max(seqs)
    return found


def committed(stock: InventoryState) -> dict[str, int]:
    """Units sold per SKU: the lines of every COMMITTED reservation."""
    sold = Counter[str]()
    for r in stock.reservations:
        if r.status == "COMMITTED":
            for line in r.lines:
                sold[line.sku] += line.quantity
    return dict(sold)


def stock_problems(
    stock: InventoryState,
    came_in: StockIn,
    baseline_on_hand: dict[str, int] | None = None,
    baseline_committed: dict[str, int] | None = None,
) -> list[StockProblem]:
    """Every SKU whose reserved or on-hand stock does not add up."""
    open_ = Counter[str]()
    for r in stock.reservations:
        if r.status == "RESERVED":
            for line in r.lines:
                open_[line.sku] += line.quantity
    sold_by_now, sold_before = committed(stock), baseline_committed or {}
    found = []
    for item in stock.stock_items:
        if item.reserved != open_[item.sku]:
            detail = f"reserved {item.reserved}, open reservations {open_[item.sku]}"
            found.append(StockProblem("stock-reserved", item.sku, detail))
        if baseline_on_hand is not None and item.sku in baseline_on_hand:
            start, began = baseline_on_hand[item.sku], "at the baseline"
        elif item.sku in came_in.added:
            start, began = came_in.added[item.sku], "added"
        else:
            continue  # seed stock, and no baseline: where it started is not known
        sold = sold_by_now.get(item.sku, 0) - sold_before.get(item.sku, 0)
        restocked = came_in.restocked[item.sku]
        expected = start + restocked - sold
        if item.on_hand != expected:
            detail = (f"on hand {item.on_hand}, expected {expected} "
                      f"({start} {began}, {restocked} restocked, {sold} sold)")  # fmt: skip
            found.append(StockProblem("stock-on-hand", item.sku, detail))
    known = {item.sku for item in stock.stock_items}
    for sku in sorted((set(came_in.added) | set(came_in.restocked)) - known):
        found.append(StockProblem("stock-on-hand", sku, "its log adds stock to it; no such SKU"))
    return found
