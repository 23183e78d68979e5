"""Connecting a Temporal client the way every process must: with the pydantic data converter.

Not imported by workflow code (it runs outside the sandbox).
"""

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.contrib.pydantic import pydantic_data_converter

from settings.common import TemporalSettings
from workflows.search_attributes import ALL


async def connect_temporal(settings: TemporalSettings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )


def workflow_id(order_id: str) -> str:
    return f"order-{order_id}"


async def register_search_attributes(client: Client, namespace: str = "default") -> None:
    """Register the saga's custom search attributes (dev server and test server only; a real
    cluster is set up once with `temporal operator search-attribute create`)."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={key.name: _INDEXED_TYPES[key.indexed_value_type] for key in ALL},
        )
    )


_INDEXED_TYPES = {
    SearchAttributeIndexedValueType.KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    SearchAttributeIndexedValueType.DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    SearchAttributeIndexedValueType.TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
    SearchAttributeIndexedValueType.INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
}
