"""Asking inventory how much of a SKU there is, over RabbitMQ request/reply."""

import uuid
from typing import Protocol

from aio_pika.abc import AbstractRobustConnection
from aio_pika.exceptions import AMQPError, DeliveryError

from api.errors import Unavailable
from contracts.queries import GetStock, StockLevel
from messaging.request_reply import RequestClient
from messaging.topology import Topology


class Stock(Protocol):
    async def level(self, sku: str) -> StockLevel: ...
    def ready(self) -> bool: ...


class InventoryStock:
    def __init__(
        self, connection: AbstractRobustConnection, client: RequestClient, topology: Topology
    ) -> None:
        self._connection = connection
        self._client = client
        self._topology = topology

    async def level(self, sku: str) -> StockLevel:
        queue = self._topology.query_queue("inventory")
        try:
            raw = await self._client.request(queue, GetStock(sku=sku), uuid.uuid4().hex, 5.0)
        except (TimeoutError, DeliveryError, AMQPError) as error:
            raise Unavailable("the inventory service did not answer") from error
        return StockLevel.model_validate_json(raw)

    def ready(self) -> bool:
        return not self._connection.is_closed
