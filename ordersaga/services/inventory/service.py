"""The inventory service as the host runs it: reserves stock for orders, releases it when a
saga compensates, commits it once an order completes; and takes an operator's new products and
restocks."""

from pathlib import Path

from ordersaga.contracts.commands import (
    AddProduct,
    CommitStock,
    ReleaseStock,
    ReserveStock,
    Restock,
)
from ordersaga.contracts.queries import GetStock, ListReservations
from ordersaga.services.host.service import Service
from ordersaga.services.inventory import products, queries, rules
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
        AddProduct: products.add_product,
        Restock: products.restock,
    },
    queries={GetStock: queries.get_stock, ListReservations: queries.list_reservations},
    demo_data=DEMO_STOCK,
    state=queries.inventory_state,
)
