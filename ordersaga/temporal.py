"""Temporal as every process meets it: an order's workflow id, the saga's search attributes,
the data converter (payloads encrypted when the settings say so), and connecting a client.

Workflow code imports the search attribute keys from here (through the sandbox's passthrough);
everything else runs outside the sandbox.
"""

import dataclasses
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.runtime import Runtime
from temporalio.service import RetryConfig
from temporalio.worker import UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from ordersaga.codec import EncryptionCodec
from ordersaga.settings import TemporalSettings, WorkerSettings
from ordersaga.telemetry.tracing import temporal_interceptors

DATA_CONVERTER = pydantic_data_converter
"""Every client, worker and replayer converts payloads this way (the contracts are pydantic);
`data_converter(settings)` adds the encryption the settings configure. This plain one is for
code without settings: it reads unencrypted payloads only (the committed replay histories)."""

CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
ORDER_TOTAL = SearchAttributeKey.for_float("OrderTotal")
REJECTION_REASON = SearchAttributeKey.for_keyword("RejectionReason")
SEARCH_ATTRIBUTES: list[SearchAttributeKey[Any]] = [
    CUSTOMER_ID,
    ORDER_STATUS,
    ORDER_TOTAL,
    REJECTION_REASON,
]
"""Upserted by the saga as it moves, so the Temporal UI finds orders by them. A real cluster
registers them once (README); `ordersaga dev` registers them on the dev server."""


def workflow_id(order_id: str) -> str:
    return f"order-{order_id}"


def payload_codec(settings: TemporalSettings) -> EncryptionCodec | None:
    """The settings' payload codec; None when no payload keys are configured."""
    if not settings.payload_keys:
        return None
    return EncryptionCodec(settings.payload_key_bytes(), settings.payload_key_id)


def data_converter(settings: TemporalSettings) -> DataConverter:
    """DATA_CONVERTER, with the settings' payload codec when they configure keys: it encrypts
    with ORDERSAGA_PAYLOAD_KEY_ID when that is set, and reads encrypted and plain payloads."""
    codec = payload_codec(settings)
    if codec is None:
        return DATA_CONVERTER
    return dataclasses.replace(DATA_CONVERTER, payload_codec=codec)


async def connect(
    settings: TemporalSettings, retry_seconds: float | None = None, runtime: Runtime | None = None
) -> Client:
    """A client; `retry_seconds` bounds how long a call keeps retrying a server that does not
    answer (the SDK's default is 10 s; the API gives up sooner and answers 503). With tracing on
    it carries temporalio's TracingInterceptor, and so does a worker built on it. A `runtime`
    (the worker's, serving metrics) replaces the SDK's default one."""
    retry = RetryConfig()
    if retry_seconds is not None:
        retry = RetryConfig(max_elapsed_time_millis=int(retry_seconds * 1000))
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        retry_config=retry,
        interceptors=temporal_interceptors(),
        runtime=runtime,
    )


async def missing_search_attributes(client: Client) -> list[SearchAttributeKey[Any]]:
    """The saga's attributes the client's namespace does not know."""
    known = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    return [key for key in SEARCH_ATTRIBUTES if key.name not in known.custom_attributes]


async def register_search_attributes(
    client: Client, keys: list[SearchAttributeKey[Any]] | None = None
) -> None:
    """Register the saga's attributes (the dev and test servers; a real cluster is set up once
    with `temporal operator search-attribute create`)."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={
                key.name: _indexed(key) for key in (SEARCH_ATTRIBUTES if keys is None else keys)
            },
        )
    )


def _indexed(key: SearchAttributeKey[Any]) -> "IndexedValueType.ValueType":
    return IndexedValueType.Value(f"INDEXED_VALUE_TYPE_{key.indexed_value_type.name}")


def cli_type(key: SearchAttributeKey[Any]) -> str:
    """KEYWORD -> Keyword, KEYWORD_LIST -> KeywordList: the `temporal` CLI's spelling."""
    return "".join(part.capitalize() for part in key.indexed_value_type.name.split("_"))


def workflow_runner(settings: WorkerSettings) -> WorkflowRunner:
    """How a worker runs workflow code: in the SDK's sandbox only when the settings ask for it.

    The sandbox checks at run time that workflow code does no I/O and reads no clock or
    randomness, and costs about 10 ms per saga one at a time. Without it here, the same check
    runs where it cannot cost a saga anything: the workflow tests' workers and the replayer of
    the recorded histories run every path sandboxed (tests/unit/test_workflow_runner.py)."""
    return SandboxedWorkflowRunner() if settings.workflow_sandbox else UnsandboxedWorkflowRunner()
