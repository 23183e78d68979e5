"""Connecting a Temporal client the way every process must: with the pydantic data converter.

Not imported by workflow code (it runs outside the sandbox).
"""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from settings.common import TemporalSettings


async def connect_temporal(settings: TemporalSettings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )


def workflow_id(order_id: str) -> str:
    return f"order-{order_id}"
