"""Encrypted Temporal payloads: AES-256-GCM, with named keys so that keys can rotate.

Every payload a client or worker sends (workflow and activity inputs and results, signals,
updates, queries, memos, failure details) is encrypted before it leaves the process, so the
Temporal server and anyone reading its database or histories see ciphertext only. Search
attributes are not payloads: the server must index them, so they stay readable.

An encrypted payload is the original `Payload` message, serialized and sealed: its data is a
random 12-byte nonce followed by the AES-GCM ciphertext (with its tag), its metadata
`encoding: binary/encrypted` and `encryption-key-id: <id>`. (The layout of the temporalio
samples' encryption codec, so their tools can read ours.)

Encoding uses the current key; decoding uses the key the payload names, so a rotated-out key
keeps its histories readable for as long as it stays configured. Payloads that are not
encrypted (histories recorded before encryption was turned on) pass through decoding
unchanged. Keys never appear in an error, a log line or a repr.
"""

import base64
import binascii
import os
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

PAYLOAD_KEY_BYTES = 32
"""AES-256: every payload key is 32 random bytes (docs/payload-encryption.md)."""


def decode_payload_key(key_id: str, key: str) -> bytes:
    """A key's bytes from its base64; the errors name the key's id, never the key."""
    if not key_id.strip():
        raise ValueError("ORDERSAGA_PAYLOAD_KEYS has an empty key id")
    try:
        raw = base64.b64decode(key, validate=True)
    except binascii.Error:
        raise ValueError(f"ORDERSAGA_PAYLOAD_KEYS[{key_id!r}] is not base64") from None
    if len(raw) != PAYLOAD_KEY_BYTES:
        raise ValueError(
            f"ORDERSAGA_PAYLOAD_KEYS[{key_id!r}] is {len(raw)} bytes; an AES-256 key is "
            f"{PAYLOAD_KEY_BYTES} (base64 of os.urandom(32))"
        )
    return raw


ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32
_TAG_BYTES = 16


class PayloadDecryptionError(ValueError):
    """An encrypted payload that cannot be read: its key is not configured, or it does not
    authenticate (tampered with, or sealed with another key under the same id)."""


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM with named keys: `keys` maps key ids to 32-byte keys; `current` names the
    one new payloads are encrypted with (None: encode leaves payloads as they are, decode
    still decrypts, e.g. while encryption is being turned off)."""

    def __init__(self, keys: Mapping[str, bytes], current: str | None) -> None:
        for key_id, key in keys.items():
            if len(key) != KEY_BYTES:
                raise ValueError(f"payload key {key_id!r} is {len(key)} bytes, not {KEY_BYTES}")
        if current is not None and current not in keys:
            raise ValueError(f"the current payload key {current!r} is not among the keys")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._current = current

    @property
    def current_key_id(self) -> str | None:
        return self._current

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._ciphers)

    def __repr__(self) -> str:
        return f"EncryptionCodec(current={self._current!r}, key_ids={self.key_ids})"

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if self._current is None:
            return list(payloads)
        cipher = self._ciphers[self._current]
        key_id = self._current.encode()
        return [self._seal(cipher, key_id, payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._open(payload) for payload in payloads]

    @staticmethod
    def _seal(cipher: AESGCM, key_id: bytes, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        sealed = cipher.encrypt(nonce, payload.SerializeToString(), None)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id}, data=nonce + sealed)

    def _open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            known = ", ".join(self.key_ids) or "none"
            raise PayloadDecryptionError(
                f"payload encrypted with key {key_id!r}, which is not configured "
                f"(configured key ids: {known}); add it to ORDERSAGA_PAYLOAD_KEYS"
            )
        if len(payload.data) < NONCE_BYTES + _TAG_BYTES:
            raise PayloadDecryptionError(f"payload encrypted with key {key_id!r} is truncated")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, None)
        except InvalidTag as invalid:
            raise PayloadDecryptionError(
                f"payload encrypted with key {key_id!r} does not authenticate: it was altered, "
                f"or sealed with another key than the configured {key_id!r}"
            ) from invalid
        return Payload.FromString(plain)
