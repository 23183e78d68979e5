"""The codec server speaks the Temporal codec protocol to the Web UI and the CLI."""

import base64
import os
from typing import Any

import pytest
from fastapi.testclient import TestClient
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from ordersaga import temporal
from ordersaga.codec_server import NoPayloadKeys, create_app
from ordersaga.settings import CodecServerSettings

UI = "http://localhost:8233"


@pytest.fixture
def settings() -> CodecServerSettings:
    return CodecServerSettings(
        payload_keys={"a": base64.b64encode(os.urandom(32)).decode()}, payload_key_id="a"
    )


@pytest.fixture
def http(settings: CodecServerSettings) -> TestClient:
    return TestClient(create_app(settings))


async def plain_payloads(*values: object) -> dict[str, Any]:
    """Payloads in protobuf JSON, as the UI posts them."""
    payloads = Payloads(payloads=await temporal.DATA_CONVERTER.encode(list(values)))
    return json_format.MessageToDict(payloads)


async def test_encode_then_decode_gives_the_payloads_back(http: TestClient) -> None:
    original = await plain_payloads({"customer_id": "customer-7781"}, "card-4242", 42)
    encoded = http.post("/encode", json=original)
    assert encoded.status_code == 200
    assert encoded.headers["content-type"] == "application/json"
    sealed = encoded.json()
    assert len(sealed["payloads"]) == 3
    assert "customer-7781" not in encoded.text and "card-4242" not in encoded.text
    for payload in sealed["payloads"]:
        assert base64.b64decode(payload["metadata"]["encoding"]) == b"binary/encrypted"

    decoded = http.post("/decode", json=sealed, headers={"X-Namespace": "default"})
    assert decoded.status_code == 200
    assert decoded.json() == original


async def test_the_codec_answers_under_a_prefix_too(http: TestClient) -> None:
    original = await plain_payloads("card-4242")
    sealed = http.post("/default/encode", json=original).json()
    assert http.post("/some/namespace/decode", json=sealed).json() == original


async def test_plain_payloads_decode_as_they_are(http: TestClient) -> None:
    original = await plain_payloads("recorded before encryption")
    assert http.post("/decode", json=original).json() == original


def test_the_ui_origin_may_call_it(http: TestClient) -> None:
    preflight = http.options(
        "/decode",
        headers={
            "Origin": UI,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == UI
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "content-type" in allowed and "x-namespace" in allowed
    answer = http.post("/decode", json={"payloads": []}, headers={"Origin": UI})
    assert answer.headers["access-control-allow-origin"] == UI


def test_other_origins_may_not(http: TestClient) -> None:
    preflight = http.options(
        "/decode",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


def test_bad_bodies_are_bad_requests(http: TestClient) -> None:
    assert http.post("/decode", content=b"not json").status_code == 400
    assert http.post("/decode", json={"payloads": [{"bytes": "AA=="}]}).status_code == 400
    assert http.post("/encode", json={"payloads": "AA=="}).status_code == 400


async def test_a_payload_it_cannot_decrypt_is_a_bad_request(
    http: TestClient, settings: CodecServerSettings
) -> None:
    other = CodecServerSettings(
        payload_keys={"b": base64.b64encode(os.urandom(32)).decode()}, payload_key_id="b"
    )
    sealed = TestClient(create_app(other)).post("/encode", json=await plain_payloads(1)).json()
    refused = http.post("/decode", json=sealed)
    assert refused.status_code == 400
    assert "key 'b', which is not configured" in refused.text


def test_it_refuses_to_start_without_keys() -> None:
    with pytest.raises(NoPayloadKeys, match="ORDERSAGA_PAYLOAD_KEYS is empty"):
        create_app(CodecServerSettings())
