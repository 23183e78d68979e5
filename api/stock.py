"""Asking inventory how much of a SKU there is, over RabbitMQ request/reply."""

import uuid
from typing import Protocol

from api.errors import Unavailable
from ordersaga.contracts.queries import GetStock, StockLevel
from ordersaga.rabbitmq.request_reply import UNANSWERED, RequestClient
from ordersaga.rabbitmq.topology import Topology

QUERY_TIMEOUT_SECONDS = 5.0


class StockGateway(Protocol):
    async def level(self, sku: str) -> StockLevel: ...
    def ready(self) -> bool: ...


class InventoryStock:
    """Inventory's `GetStock` query over request/reply; ready while the client's broker
    connection is open."""

    def __init__(self, client: RequestClient, topology: Topology) -> None:
        self._client = client
        self._topology = topology

    async def level(self, sku: str) -> StockLevel:
        queue = self._topology.query_queue("inventory")
        try:
            raw = await self._client.request(
                queue, GetStock(sku=sku), uuid.uuid4().hex, QUERY_TIMEOUT_SECONDS
            )
        except UNANSWERED as error:
            raise Unavailable("inventory service unavailable") from error
        return StockLevel.model_validate_json(raw)

    def ready(self) -> bool:
        return not self._client.is_closed
