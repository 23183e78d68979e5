"""The payload codec: what it stores, key rotation, plain payloads, failures, and its settings."""

import base64
import json
import os
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload

from ordersaga import temporal
from ordersaga.codec import ENCODING, KEY_ID, EncryptionCodec, PayloadDecryptionError
from ordersaga.contracts.orders import OrderLine
from ordersaga.contracts.saga import PlaceOrder
from ordersaga.replay import load_history, make_replayer
from ordersaga.settings import TemporalSettings

HISTORIES = Path(__file__).parents[1] / "replay" / "histories"
ORDER = PlaceOrder(
    order_id="o-1",
    customer_id="customer-7781",
    payment_method="card-4242",
    items=[OrderLine(sku="SKU-42", quantity=2)],
)


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def encrypting(keys: dict[str, str], current: str | None) -> TemporalSettings:
    return TemporalSettings(payload_keys=keys, payload_key_id=current)


async def sealed(settings: TemporalSettings, value: object = ORDER) -> Payload:
    [payload] = await temporal.data_converter(settings).encode([value])
    return payload


async def opened(settings: TemporalSettings, payload: Payload) -> PlaceOrder:
    [value] = await temporal.data_converter(settings).decode([payload], [PlaceOrder])
    assert isinstance(value, PlaceOrder)
    return value


async def test_a_payload_round_trips() -> None:
    settings = encrypting({"a": new_key()}, "a")
    assert await opened(settings, await sealed(settings)) == ORDER


async def test_the_stored_payload_is_ciphertext_naming_its_key() -> None:
    payload = await sealed(encrypting({"a": new_key()}, "a"))
    assert payload.metadata["encoding"] == ENCODING
    assert payload.metadata[KEY_ID] == b"a"
    stored = payload.SerializeToString()
    for plain in (b"customer-7781", b"card-4242", b"SKU-42", b"json/plain"):
        assert plain not in stored


async def test_every_payload_has_a_nonce_of_its_own() -> None:
    settings = encrypting({"a": new_key()}, "a")
    assert (await sealed(settings)).data != (await sealed(settings)).data


async def test_payloads_of_a_rotated_out_key_stay_readable() -> None:
    a, b = new_key(), new_key()
    before = await sealed(encrypting({"a": a}, "a"))
    rotated = encrypting({"a": a, "b": b}, "b")
    assert await opened(rotated, before) == ORDER
    assert (await sealed(rotated)).metadata[KEY_ID] == b"b"


async def test_without_a_current_key_payloads_are_written_plain_and_read_either_way() -> None:
    a = new_key()
    before = await sealed(encrypting({"a": a}, "a"))
    decode_only = encrypting({"a": a}, None)
    assert not decode_only.encrypts_payloads
    assert (await sealed(decode_only)).metadata["encoding"] == b"json/plain"
    assert await opened(decode_only, before) == ORDER


async def test_a_plain_payload_passes_through_decoding() -> None:
    [plain] = await temporal.DATA_CONVERTER.encode([ORDER])
    codec = temporal.payload_codec(encrypting({"a": new_key()}, "a"))
    assert codec is not None
    assert await codec.decode([plain]) == [plain]


def test_without_keys_the_converter_is_the_plain_one() -> None:
    assert temporal.data_converter(TemporalSettings()) is temporal.DATA_CONVERTER


async def test_a_payload_sealed_with_another_key_of_that_id_fails_loudly() -> None:
    payload = await sealed(encrypting({"a": new_key()}, "a"))
    with pytest.raises(PayloadDecryptionError, match="'a' does not authenticate") as failed:
        await opened(encrypting({"a": new_key()}, "a"), payload)
    assert isinstance(failed.value.__cause__, InvalidTag)


async def test_a_tampered_payload_fails_loudly() -> None:
    settings = encrypting({"a": new_key()}, "a")
    payload = await sealed(settings)
    data = bytearray(payload.data)
    data[-1] ^= 0x01
    tampered = Payload(metadata=payload.metadata, data=bytes(data))
    with pytest.raises(PayloadDecryptionError, match="does not authenticate"):
        await opened(settings, tampered)
    truncated = Payload(metadata=payload.metadata, data=payload.data[:20])
    with pytest.raises(PayloadDecryptionError, match="truncated"):
        await opened(settings, truncated)


async def test_a_payload_of_an_unconfigured_key_names_it() -> None:
    payload = await sealed(encrypting({"old": new_key()}, "old"))
    with pytest.raises(PayloadDecryptionError, match="key 'old', which is not configured"):
        await opened(encrypting({"new": new_key()}, "new"), payload)


def test_the_keys_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = {"2024-06": new_key(), "2025-01": new_key()}
    monkeypatch.setenv("ORDERSAGA_PAYLOAD_KEYS", json.dumps(keys))
    monkeypatch.setenv("ORDERSAGA_PAYLOAD_KEY_ID", "2025-01")
    settings = TemporalSettings()
    assert settings.encrypts_payloads
    assert settings.payload_key_bytes() == {k: base64.b64decode(v) for k, v in keys.items()}
    for key in keys.values():
        assert key not in repr(settings) and key not in str(settings.model_dump())
    codec = temporal.payload_codec(settings)
    assert codec is not None and codec.current_key_id == "2025-01"
    assert "2024-06" in repr(codec) and keys["2024-06"] not in repr(codec)


def test_encryption_is_off_by_default() -> None:
    settings = TemporalSettings()
    assert not settings.encrypts_payloads and temporal.payload_codec(settings) is None


@pytest.mark.parametrize(
    ("keys", "current", "error"),
    [
        ({"a": "KEY"}, "b", "ORDERSAGA_PAYLOAD_KEY_ID is 'b', which is not a key"),
        ({}, "a", "ORDERSAGA_PAYLOAD_KEY_ID is 'a', which is not a key"),
        ({"a": base64.b64encode(b"k" * 16).decode()}, "a", r"\['a'\] is 16 bytes"),
        ({"a": "not base64!"}, "a", r"\['a'\] is not base64"),
        ({"": "KEY"}, None, "empty key id"),
    ],
)
def test_bad_payload_settings_are_refused_without_showing_the_keys(
    keys: dict[str, str], current: str | None, error: str
) -> None:
    keys = {key_id: new_key() if key == "KEY" else key for key_id, key in keys.items()}
    with pytest.raises(ValidationError, match=error) as refused:
        encrypting(keys, current)
    for key in keys.values():
        assert key not in str(refused.value)


def test_the_codec_refuses_keys_that_are_not_aes_256() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        EncryptionCodec({"a": b"k" * 16}, "a")
    with pytest.raises(ValueError, match="'b' is not among the keys"):
        EncryptionCodec({"a": b"k" * 32}, "b")


async def test_recorded_plain_histories_replay_with_encryption_on() -> None:
    replayer = make_replayer(settings=encrypting({"a": new_key()}, "a"))
    for path in sorted(HISTORIES.glob("*-happy-path.json")):
        await replayer.replay_workflow(load_history(path))
