"""The operator's catalog commands faked as the services answer them: in memory, once per
command id (a command id seen before is answered from its first reply), with their refusals."""

from typing import Any

from api.errors import Unavailable
from ordersaga.catalog import CatalogRefused
from ordersaga.contracts.commands import MAX_ON_HAND, AddProduct, OpenAccount, Restock
from ordersaga.contracts.events import AccountOpened, ProductAdded, StockRestocked
from ordersaga.contracts.rejections import RejectionCode


class FakeCatalog:
    def __init__(self) -> None:
        self.products: dict[str, ProductAdded] = {}
        self.accounts: dict[str, AccountOpened] = {}
        self.replies: dict[str, Any] = {}
        self.commands: list[Any] = []
        self.down = False

    async def add_product(self, command: AddProduct, /) -> ProductAdded:
        reply: ProductAdded = self._once(command, self._add)
        return reply

    async def restock(self, command: Restock, /) -> StockRestocked:
        reply: StockRestocked = self._once(command, self._restock)
        return reply

    async def open_account(self, command: OpenAccount, /) -> AccountOpened:
        reply: AccountOpened = self._once(command, self._open)
        return reply

    def _once(self, command: Any, apply: Any) -> Any:
        if self.down:
            raise Unavailable("inventory service unavailable")
        self.commands.append(command)
        if command.command_id not in self.replies:
            try:
                self.replies[command.command_id] = apply(command)
            except CatalogRefused as refusal:
                self.replies[command.command_id] = refusal
        reply = self.replies[command.command_id]
        if isinstance(reply, CatalogRefused):
            raise reply
        return reply

    def _add(self, command: AddProduct) -> ProductAdded:
        found = self.products.get(command.sku)
        if found is None:
            self.products[command.sku] = ProductAdded(
                **command.model_dump(exclude={"kind", "command_id"})
            )
            return self.products[command.sku]
        if (found.name, found.unit_price_cents) != (command.name, command.unit_price_cents):
            raise CatalogRefused(RejectionCode.PRODUCT_EXISTS, f"{command.sku} exists already")
        return found.model_copy(update={"existed": True})

    def _restock(self, command: Restock) -> StockRestocked:
        found = self.products.get(command.sku)
        if found is None:
            raise CatalogRefused(RejectionCode.UNKNOWN_SKU, f"unknown SKU {command.sku}")
        if found.on_hand + command.quantity > MAX_ON_HAND:
            raise CatalogRefused(RejectionCode.INVALID_QUANTITY, "past the most a SKU holds")
        on_hand = found.on_hand + command.quantity
        self.products[command.sku] = found.model_copy(update={"on_hand": on_hand})
        return StockRestocked(sku=command.sku, quantity=command.quantity, on_hand=on_hand)

    def _open(self, command: OpenAccount) -> AccountOpened:
        found = self.accounts.get(command.customer_id)
        if found is None:
            opened = AccountOpened(**command.model_dump(exclude={"kind", "command_id"}))
            self.accounts[command.customer_id] = opened
            return opened
        if (found.credit_limit_cents, found.blocked) != (
            command.credit_limit_cents,
            command.blocked,
        ):
            raise CatalogRefused(RejectionCode.ACCOUNT_EXISTS, f"{command.customer_id} exists")
        return found.model_copy(update={"existed": True})
