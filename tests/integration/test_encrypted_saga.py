"""A saga with encrypted payloads, end to end: the worker and the client encrypt, the Temporal
server keeps ciphertext only, and the history still replays with the keys (docs/
payload-encryption.md)."""

import base64
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

import worker
from ordersaga.codec import ENCODING, KEY_ID
from ordersaga.contracts.orders import OrderStatus
from ordersaga.rabbitmq.topology import Topology
from ordersaga.replay import make_replayer, replay_files, replay_recent_of
from ordersaga.settings import TemporalSettings
from ordersaga.temporal import data_converter
from tests.support.system import SagaSystem

KEYS = {"k1": base64.b64encode(os.urandom(32)).decode()}
CUSTOMER = "alice"  # the payment service's seeded customer
PAYMENT_METHOD = b"card-4242"  # what SagaSystem.start_order pays with


@pytest.fixture
async def encrypted(
    temporal_dev: WorkflowEnvironment, topology: Topology, rabbitmq_url: str, tmp_path: Path
) -> AsyncIterator[SagaSystem]:
    """The whole saga on the dev server, its client and worker encrypting with KEYS."""
    plain = temporal_dev.client
    settings = TemporalSettings(
        temporal_address=plain.service_client.config.target_host,
        temporal_namespace=plain.namespace,
        payload_keys=KEYS,
        payload_key_id="k1",
    )
    client = await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
    )
    urls = {
        name: f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"
        for name in ("orders", "inventory", "payment", "projector")
    }
    system = SagaSystem(client, topology, {**urls, "rabbitmq": rabbitmq_url})
    try:
        await system.start_participant("inventory")
        await system.start_participant("payment")
        worker_settings = system.worker_settings(payload_keys=KEYS, payload_key_id="k1")
        async with worker.running(worker_settings, client=client):
            yield system
    finally:
        await system.stop_all()


async def test_an_encrypted_saga_completes_and_the_server_keeps_ciphertext(
    temporal_dev: WorkflowEnvironment, encrypted: SagaSystem, tmp_path: Path
) -> None:
    handle = await encrypted.start_order(customer=CUSTOMER, items={"SKU-42": 1})
    state = await handle.result()
    assert state.status == OrderStatus.COMPLETED
    assert state.customer_id == CUSTOMER

    # What the server stores, read without the codec.
    history = await temporal_dev.client.get_workflow_handle(handle.id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    [order] = started.input.payloads
    assert_encrypted(order)
    assert CUSTOMER.encode() not in order.data and PAYMENT_METHOD not in order.data
    values = values_of(history)
    assert len(values) > 10, "the saga ran no activities"
    for payload in values:
        assert_encrypted(payload)
    assert PAYMENT_METHOD not in history_bytes(history)
    # Search attributes stay plain: the server indexes them (the UI finds orders by them).
    described = await temporal_dev.client.get_workflow_handle(handle.id).describe()
    assert {k.name: v for k, v in described.typed_search_attributes}["CustomerId"] == CUSTOMER

    # The plain replayer cannot read it; one with the keys replays it.
    with pytest.raises(RuntimeError, match="Failed decoding arguments"):
        await make_replayer().replay_workflow(history)
    settings = TemporalSettings(payload_keys=KEYS)  # decode-only keys are enough
    await make_replayer(settings=settings).replay_workflow(history)

    # As `ordersaga replay file` and `ordersaga replay recent` do.
    exported = tmp_path / "encrypted.json"
    exported.write_text(history.to_json())
    report = await replay_files([exported], settings)
    assert report.replayed == 1 and report.ok, report.summary()
    cluster = TemporalSettings(
        temporal_address=temporal_dev.client.service_client.config.target_host,
        temporal_namespace=temporal_dev.client.namespace,
        payload_keys=KEYS,
    )
    query = f'WorkflowId="{handle.id}"'
    recent = await replay_recent_of(cluster, query, limit=5)
    assert recent.replayed == 1 and recent.ok, recent.summary()


def assert_encrypted(payload: Payload) -> None:
    assert payload.metadata["encoding"] == ENCODING
    assert payload.metadata[KEY_ID] == b"k1"


def values_of(history: WorkflowHistory) -> list[Payload]:
    """The payloads of the saga's values: its input and result, its activities' inputs and
    results (local ones in their markers), and the steps' summaries."""
    found: list[Payload] = []
    for event in history.events:
        kind = event.WhichOneof("attributes")
        if kind == "workflow_execution_started_event_attributes":
            found += event.workflow_execution_started_event_attributes.input.payloads
        elif kind == "activity_task_scheduled_event_attributes":
            found += event.activity_task_scheduled_event_attributes.input.payloads
        elif kind == "activity_task_completed_event_attributes":
            found += event.activity_task_completed_event_attributes.result.payloads
        elif kind == "marker_recorded_event_attributes":
            details = event.marker_recorded_event_attributes.details
            if "result" in details:  # a local activity's (its "data" is the SDK's own)
                found += details["result"].payloads
        elif kind == "workflow_execution_completed_event_attributes":
            found += event.workflow_execution_completed_event_attributes.result.payloads
        if event.user_metadata.HasField("summary"):
            found.append(event.user_metadata.summary)
    return found


def history_bytes(history: WorkflowHistory) -> bytes:
    return b"".join(event.SerializeToString() for event in history.events)
