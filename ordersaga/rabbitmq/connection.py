"""Opening the broker connection: robust, so channels, queues and consumers come back after a
broker restart without any code of ours looping."""

from aio_pika import connect_robust
from aio_pika.abc import AbstractRobustConnection


async def connect(url: str, name: str) -> AbstractRobustConnection:
    return await connect_robust(url, client_properties={"connection_name": name})
