"""Demo stock for an empty inventory, so a new user can order at once. It covers every path:
plenty (SKU-42), a few (SKU-7), nearly gone (SKU-LAST) and none (SKU-GONE)."""

from ordersaga.database.migrated import DemoData
from ordersaga.services.inventory.models import StockItem

DEMO_STOCK = DemoData(
    StockItem,
    [
        {"sku": "SKU-42", "name": "Espresso beans 1kg", "unit_price_cents": 1890, "on_hand": 100},
        {"sku": "SKU-7", "name": "Grinder", "unit_price_cents": 12900, "on_hand": 10},
        {"sku": "SKU-LAST", "name": "Limited edition mug", "unit_price_cents": 2500, "on_hand": 3},
        {"sku": "SKU-GONE", "name": "Retired kettle", "unit_price_cents": 4900, "on_hand": 0},
    ],
)
