"""Sending an operator's commands (add a product, restock it, open an account) to the services,
over RabbitMQ request/reply (ordersaga/catalog.py). A service that does not answer in time, or
a broker that is away, is a 503 with Retry-After; a refusal is the service's `CatalogRefused`."""

from typing import Annotated, Protocol

from fastapi import Depends, Request

from api.errors import Unavailable
from ordersaga import catalog
from ordersaga.contracts.commands import AddProduct, OpenAccount, OperatorCommand, Restock
from ordersaga.contracts.events import AccountOpened, ProductAdded, StockRestocked
from ordersaga.rabbitmq.request_reply import UNANSWERED, RequestClient

COMMAND_TIMEOUT_SECONDS = 5.0


class CatalogGateway(Protocol):
    """Each sends its command and returns the service's event; raises CatalogRefused
    (ordersaga/catalog.py) when the service refuses it, Unavailable when it does not answer."""

    async def add_product(self, command: AddProduct, /) -> ProductAdded: ...
    async def restock(self, command: Restock, /) -> StockRestocked: ...
    async def open_account(self, command: OpenAccount, /) -> AccountOpened: ...


class BusCatalog:
    def __init__(self, client: RequestClient, timeout: float = COMMAND_TIMEOUT_SECONDS) -> None:
        self._client, self._timeout = client, timeout

    async def add_product(self, command: AddProduct) -> ProductAdded:
        return await self._send("inventory", command, ProductAdded)

    async def restock(self, command: Restock) -> StockRestocked:
        return await self._send("inventory", command, StockRestocked)

    async def open_account(self, command: OpenAccount) -> AccountOpened:
        return await self._send("payment", command, AccountOpened)

    async def _send(
        self, service: str, command: OperatorCommand, expected: type[catalog.E]
    ) -> catalog.E:
        try:
            return await catalog.send(service, self._client, command, expected, self._timeout)
        except UNANSWERED as error:
            # The command may still be applied once the service is back: a retry with the same
            # Idempotency-Key is the same command, answered from its stored reply.
            raise Unavailable(
                f"{service} service unavailable; retry with the same Idempotency-Key"
            ) from error


class NoCatalog:
    """For an app whose request client is faked and no catalog given: every command is 503."""

    async def add_product(self, _command: AddProduct, /) -> ProductAdded:
        raise Unavailable("inventory service unavailable")

    async def restock(self, _command: Restock, /) -> StockRestocked:
        raise Unavailable("inventory service unavailable")

    async def open_account(self, _command: OpenAccount, /) -> AccountOpened:
        raise Unavailable("payment service unavailable")


def _catalog(request: Request) -> CatalogGateway:
    gateway: CatalogGateway = request.app.state.catalog
    return gateway


CatalogDep = Annotated[CatalogGateway, Depends(_catalog)]
