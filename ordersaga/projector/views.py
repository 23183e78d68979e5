"""The read model's tables: the views of one build, and the catalog of builds.

A *build* is one copy of the views with its own positions (`v<n>_...` tables). The projector
fills a new build beside the serving one (`ordersaga projector rebuild`), and the catalog's
`serving` row says which build the API reads; switching is one UPDATE. `SHAPE` is the views'
shape in this code: a change to a view's columns ships as a new shape, and a projector finding
the serving build of an older shape builds a new one beside it.

Each source owns its columns, so each source's position covers exactly what it wrote:

- orders: `customer_id`, `status`, `reason`, `lines`, `total_cents`, `placed_at` from the orders
  service; `reservation`, `priced_lines`, `reserved_cents` from inventory; `payment`,
  `payer_id`, `authorized_cents`, `captured_cents` from payment.
- products: all from inventory. customers: `orders` from orders; money from payment.
"""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

SHAPE = 1


@dataclass(frozen=True)
class Views:
    build: int
    metadata: MetaData
    orders: Table
    order_skus: Table
    timeline: Table
    products: Table
    customers: Table
    positions: Table
    dead_letters: Table

    @property
    def search_table(self) -> str:
        """SQLite's FTS5 table over the orders (PostgreSQL indexes `orders.search_text`)."""
        return f"v{self.build}_orders_fts"


@cache
def views(build: int) -> Views:
    """The tables of build `build` (created by `store.create_build`)."""
    m, p = MetaData(), f"v{build}_"
    orders = Table(
        f"{p}orders",
        m,
        Column("order_id", String(100), primary_key=True),
        Column("customer_id", String(100), index=True),
        Column("status", String(20), index=True),
        Column("reason", Text),
        Column("lines", JSON, nullable=False),
        Column("total_cents", Integer),
        Column("placed_at", DateTime(timezone=True), index=True),
        Column("reservation", String(20)),
        Column("priced_lines", JSON, nullable=False),
        Column("reserved_cents", Integer),
        Column("payment", String(20)),
        Column("payer_id", String(100)),
        Column("authorized_cents", Integer, nullable=False),
        Column("captured_cents", Integer, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("search_text", Text, nullable=False),
    )
    order_skus = Table(
        f"{p}order_skus",
        m,
        Column("sku", String(64), primary_key=True),
        Column("order_id", String(100), primary_key=True),
    )
    timeline = Table(
        f"{p}timeline",
        m,
        Column("source", String(20), primary_key=True),
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("order_id", String(100), nullable=False),
        Column("kind", String(64), nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("detail", Text, nullable=False),
        Index(f"ix_{p}timeline_order", "order_id", "occurred_at"),
    )
    products = Table(
        f"{p}products",
        m,
        Column("sku", String(64), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("unit_price_cents", Integer, nullable=False),
        Column("on_hand", Integer, nullable=False),
        Column("reserved", Integer, nullable=False),
    )
    customers = Table(
        f"{p}customers",
        m,
        Column("customer_id", String(100), primary_key=True),
        Column("orders", Integer, nullable=False),
        Column("credit_limit_cents", Integer),
        Column("held_cents", Integer, nullable=False),
        Column("captured_cents", Integer, nullable=False),
    )
    positions = Table(
        f"{p}positions",
        m,
        Column("source", String(20), primary_key=True),
        Column("seq", BigInteger, nullable=False),
        Column("updated_at", Float, nullable=False),
    )
    dead_letters = Table(
        f"{p}dead_letters",
        m,
        Column("source", String(20), primary_key=True),
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("kind", String(64), nullable=False),
        Column("reason", Text, nullable=False),
        Column("at", Float, nullable=False),
    )
    return Views(build, m, orders, order_skus, timeline, products, customers, positions,
                 dead_letters)  # fmt: skip


CATALOG = MetaData()

builds = Table(
    "builds",
    CATALOG,
    Column("build", Integer, primary_key=True, autoincrement=False),
    Column("shape", Integer, nullable=False),
    Column("state", String(20), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("ready_at", Float),
    Column("switch_when_ready", Integer, nullable=False, default=1),
)
"""`state`: building (backfilling or catching up), ready (caught up, live), dropped."""

serving = Table(
    "serving",
    CATALOG,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("build", Integer, nullable=False),
    Column("switched_at", Float, nullable=False),
)

sources = Table(
    "sources",
    CATALOG,
    Column("source", String(20), primary_key=True),
    Column("head", BigInteger, nullable=False),
    Column("checked_at", Float, nullable=False),
)
"""Each source's head as the projector last saw it: what `status` measures lag against."""

liveness = Table(
    "liveness",
    CATALOG,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("holder", String(200), nullable=False),
    Column("beat_at", Float, nullable=False),
    Column("progress_at", Float, nullable=False),
    Column("stuck", Text),
)
"""The active projector's heartbeat, when it last moved a position, and what it is stuck on."""

leases = Table(
    "leases",
    CATALOG,
    Column("name", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", Float, nullable=False),
)
