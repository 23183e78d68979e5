"""One pydantic-settings class per process, read from ORDERSAGA_* environment variables."""

import hashlib
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict
from sqlalchemy.engine import make_url

from ordersaga.codec import decode_payload_key
from ordersaga.contracts.saga import SagaTimeouts
from ordersaga.telemetry.settings import TelemetrySettings

DEV_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/"


def sqlite_url(service: str) -> str:
    return f"sqlite+aiosqlite:///.ordersaga/{service}.db"


class ProcessSettings(TelemetrySettings):
    """What every process shares: where the broker is, the environment, and telemetry."""

    model_config = SettingsConfigDict(env_prefix="ORDERSAGA_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    rabbitmq_url: str = DEV_BROKER_URL
    bus_prefix: str = Field(default="ordersaga", description="names every queue and exchange")

    @model_validator(mode="after")
    def _refuse_default_credentials_in_production(self) -> "ProcessSettings":
        if self.environment != "production":
            return self
        if "guest:guest@" in self.rabbitmq_url:
            raise ValueError("ORDERSAGA_RABBITMQ_URL uses the default guest account in production")
        for name, value in self:
            if name.endswith("_db_url") and isinstance(value, str) and _default_login(value):
                raise ValueError(f"ORDERSAGA_{name.upper()} has no password or a default one")
        return self


DEFAULT_PASSWORDS = {None, "", "postgres", "password", "admin", "root", "secret"}


def _default_login(url: str) -> bool:
    """A server database reached with no password, or one that ships as a default."""
    parsed = make_url(url)
    return parsed.get_backend_name() != "sqlite" and parsed.password in DEFAULT_PASSWORDS


class TemporalSettings(ProcessSettings):
    """A Temporal client: where the cluster is, and the keys of its encrypted payloads."""

    # A settings error must not echo its input: the payload keys are secrets.
    model_config = SettingsConfigDict(
        env_prefix="ORDERSAGA_", extra="ignore", hide_input_in_errors=True
    )

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "order-saga"
    payload_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="key id -> base64 of 32 random bytes (JSON in ORDERSAGA_PAYLOAD_KEYS); "
        "every key that ever encrypted payloads stays here so their histories stay readable",
    )
    payload_key_id: str | None = Field(
        default=None,
        description="the key new payloads are encrypted with; unset: payloads are not encrypted",
    )

    @field_validator("payload_keys")
    @classmethod
    def _payload_keys_are_aes_256(cls, keys: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for key_id, key in keys.items():
            decode_payload_key(key_id, key.get_secret_value())
        return keys

    @model_validator(mode="after")
    def _current_payload_key_is_known(self) -> "TemporalSettings":
        if self.payload_key_id is not None and self.payload_key_id not in self.payload_keys:
            known = ", ".join(sorted(self.payload_keys)) or "none"
            raise ValueError(
                f"ORDERSAGA_PAYLOAD_KEY_ID is {self.payload_key_id!r}, which is not a key of "
                f"ORDERSAGA_PAYLOAD_KEYS (key ids: {known})"
            )
        return self

    @property
    def encrypts_payloads(self) -> bool:
        return self.payload_key_id is not None

    def payload_key_bytes(self) -> dict[str, bytes]:
        """The payload keys, decoded (validated already)."""
        return {
            key_id: decode_payload_key(key_id, key.get_secret_value())
            for key_id, key in self.payload_keys.items()
        }


class ServiceSettings(ProcessSettings):
    """A service the host runs (inventory, payment): its database and how it consumes."""

    prefetch: int = Field(default=32, ge=1, description="commands in flight per consumer")
    shutdown_seconds: float = Field(
        default=10.0, ge=0, description="on SIGTERM, how long commands in flight may finish"
    )
    seed: bool = Field(default=True, description="put demo data in an empty database")
    inventory_db_url: str = sqlite_url("inventory")
    payment_db_url: str = sqlite_url("payment")
    orders_db_url: str = sqlite_url("orders")

    def database_url(self, service: str) -> str:
        url: str = getattr(self, f"{service}_db_url")
        return url


class CodecServerSettings(TemporalSettings):
    """`ordersaga codec-server`: /encode and /decode for the Temporal Web UI and CLI."""

    codec_host: str = Field(default="127.0.0.1", description="it decrypts: keep it private")
    codec_port: int = 8234
    codec_ui_origins: list[str] = Field(
        default=["http://127.0.0.1:8233", "http://localhost:8233"],
        description="Temporal Web UI origins the browser may call it from (CORS)",
    )


class ProjectorSettings(TemporalSettings):
    """The projector: the read model's database and how it keeps up with the sources (Temporal
    only for `reconcile`, which asks how running sagas ended)."""

    projector_db_url: str = sqlite_url("projector")
    head_check_seconds: float = Field(
        default=1.0, gt=0, description="how often each source's head is checked (a lost last event)"
    )
    idle_seconds: float = Field(
        default=0.2, gt=0, description="a quiet spell after events that prompts a head check"
    )
    batch: int = Field(default=2000, ge=1, le=5000, description="events per catch-up transaction")
    lease_seconds: float = Field(default=15.0, gt=0, description="a standby takes over after it")
    stuck_seconds: float = Field(
        default=30.0, gt=0, description="behind a source without moving this long: stuck"
    )


class WorkerSettings(TemporalSettings):
    orders_db_url: str = sqlite_url("orders")
    max_concurrent_workflow_tasks: int = Field(
        default_factory=lambda: 2 * (os.cpu_count() or 1),
        ge=1,
        description="two per core: a task holds its slot while its local steps run, so more "
        "only queue inside tasks (docs/performance.md)",
    )
    max_concurrent_activities: int = Field(default=100, ge=1)
    workflow_sandbox: bool = Field(
        default=False,
        description="run workflow code in the SDK's sandbox, a runtime guard against I/O, clocks "
        "and randomness in it: about 10 ms of a saga's latency. The workflow and replay tests "
        "always run it sandboxed (docs/performance.md)",
    )
    graceful_shutdown_seconds: float = Field(default=10.0, ge=0)
    role: Literal["all", "workflows", "activities"] = Field(
        default="all",
        description="workflows: run sagas (and their local steps) only; activities: only the "
        "regular activities; all: both. Split roles scale each on its own.",
    )
    deployment_name: str | None = Field(
        default=None, pattern=r"^[^.\s]+$", description="the Worker Deployment (docs/versioning.md)"
    )
    build_id: str | None = Field(
        default=None, pattern=r"^\S+$", description="this worker's build; both set: versioned"
    )

    @model_validator(mode="after")
    def _versioned_by_both_or_neither(self) -> "WorkerSettings":
        if (self.deployment_name is None) != (self.build_id is None):
            raise ValueError("ORDERSAGA_DEPLOYMENT_NAME and ORDERSAGA_BUILD_ID go together")
        return self


DEMO_API_KEYS = {
    "demo-alice": "customer:alice",
    "demo-bob": "customer:bob",
    "demo-carol": "customer:carol",
    "demo-mallory": "customer:mallory",
    "demo-operator": "operator",
}
"""The keys that work outside production when no keys are configured (README)."""


def key_digest(key: str) -> str:
    """What is stored of an API key: its SHA-256, hex."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiSettings(TemporalSettings):
    host: str = "127.0.0.1"
    port: int = 8000
    api_keys: dict[str, str] = Field(
        default_factory=dict,
        description="SHA-256 hex digest of each API key -> 'customer:<id>' or 'operator' "
        "(JSON in ORDERSAGA_API_KEYS); empty outside production: the demo keys",
    )
    projector_db_url: str = sqlite_url("projector")
    read_wait_seconds: float = Field(
        default=5.0, gt=0, description="how long a read with a consistency token waits for the view"
    )
    temporal_retry_seconds: float = Field(
        default=3.0, gt=0, description="how long a call retries an unanswering Temporal before 503"
    )

    @field_validator("api_keys")
    @classmethod
    def _keys_name_a_role(cls, keys: dict[str, str]) -> dict[str, str]:
        for digest, who in keys.items():
            if len(digest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digest):
                raise ValueError("ORDERSAGA_API_KEYS: each key is stored as its SHA-256 hex digest")
            if who != "operator" and not (who.startswith("customer:") and len(who) > 9):
                raise ValueError(
                    f"ORDERSAGA_API_KEYS: {who!r} is not 'customer:<id>' or 'operator'"
                )
        return keys

    @model_validator(mode="after")
    def _own_keys_in_production(self) -> "ApiSettings":
        if self.environment != "production":
            return self
        if not self.api_keys:
            raise ValueError("ORDERSAGA_API_KEYS is required in production (the demo keys are off)")
        demo = {key_digest(key) for key in DEMO_API_KEYS}
        if demo & {digest.lower() for digest in self.api_keys}:
            raise ValueError("ORDERSAGA_API_KEYS holds a demo key; production needs its own")
        return self

    max_wait_seconds: float = Field(default=30.0, gt=0, description="cap of ?wait=true")
    saga_timeouts: SagaTimeouts = SagaTimeouts()


class DevSettings(ApiSettings):
    """`ordersaga dev`: the whole system on one machine."""

    temporal_ui_port: int = Field(default=8233, description="Temporal Web UI of the dev server")
    state_dir: Path = Field(default=Path(".ordersaga"), description="SQLite files, Temporal DB")

    @property
    def temporal_host_port(self) -> tuple[str, int]:
        host, _, port = self.temporal_address.rpartition(":")
        return host or "127.0.0.1", int(port)
