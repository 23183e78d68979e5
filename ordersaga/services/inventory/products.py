"""Inventory's rules for an operator's commands: add a product, restock one.

Each runs inside the host's transaction like every rule, and refuses with a reply, never an
event (services/operator_rules.py). An add of a SKU that exists is answered from what is there:
with the same name and price it is a no-op (`existed`), with another it is refused. Two adds of
one new SKU at once both insert its row; the loser fails on its primary key, the broker
redelivers it, and the retry finds the winner's row. A restock is one conditional UPDATE
(`... WHERE on_hand + :q <= MAX_ON_HAND`), so concurrent restocks all count and never pass the
bound.
"""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.commands import MAX_ON_HAND, AddProduct, Restock
from ordersaga.contracts.events import ProductAdded, StockRestocked
from ordersaga.services.host.service import Outcome
from ordersaga.services.inventory.domain import product_exists, too_much_stock, unknown_sku
from ordersaga.services.inventory.models import StockItem
from ordersaga.services.operator_rules import refused_as_reply


@refused_as_reply
async def add_product(session: AsyncSession, command: AddProduct) -> Outcome:
    existing = await session.get(StockItem, command.sku, populate_existing=True)
    if existing is not None:
        if (existing.name, existing.unit_price_cents) != (command.name, command.unit_price_cents):
            raise product_exists(existing.sku, existing.name, existing.unit_price_cents)
        return Outcome(_added(existing, existed=True), changed=False)
    item = StockItem(
        sku=command.sku,
        name=command.name,
        unit_price_cents=command.unit_price_cents,
        on_hand=command.on_hand,
        reserved=0,
    )
    session.add(item)
    await session.flush()
    return Outcome(_added(item, existed=False))


@refused_as_reply
async def restock(session: AsyncSession, command: Restock) -> Outcome:
    result = await session.execute(
        update(StockItem)
        .where(StockItem.sku == command.sku, StockItem.on_hand <= MAX_ON_HAND - command.quantity)
        .values(on_hand=StockItem.on_hand + command.quantity)
        .returning(StockItem.on_hand)
        .execution_options(synchronize_session=False)
    )
    on_hand = result.scalar_one_or_none()
    if on_hand is None:
        item = await session.get(StockItem, command.sku, populate_existing=True)
        if item is None:
            raise unknown_sku(command.sku)
        raise too_much_stock(command.sku, item.on_hand, command.quantity, MAX_ON_HAND)
    return Outcome(StockRestocked(sku=command.sku, quantity=command.quantity, on_hand=on_hand))


def _added(item: StockItem, existed: bool) -> ProductAdded:
    return ProductAdded(
        sku=item.sku,
        name=item.name,
        unit_price_cents=item.unit_price_cents,
        on_hand=item.on_hand,
        existed=existed,
    )
