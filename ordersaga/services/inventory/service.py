"""The inventory service as the host runs it: reserves stock for orders, releases it when a
saga compensates, commits it once an order completes."""

from pathlib import Path

from ordersaga.contracts.commands import CommitStock, ReleaseStock, ReserveStock
from ordersaga.contracts.queries import GetStock, ListReservations
from ordersaga.services.host.service import Service
from ordersaga.services.inventory import queries, rules
from ordersaga.services.inventory.models import Base
from ordersaga.services.inventory.seed import DEMO_STOCK

INVENTORY = Service(
    name="inventory",
    tables=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    rules={
        ReserveStock: rules.reserve_stock,
        ReleaseStock: rules.release_stock,
        CommitStock: rules.commit_stock,
    },
    queries={GetStock: queries.get_stock, ListReservations: queries.list_reservations},
    demo_data=DEMO_STOCK,
    state=queries.inventory_state,
)
