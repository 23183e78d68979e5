"""Settings every process shares: where the broker and Temporal are, and the environment."""

from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from messaging.topology import Topology

DEV_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/"


class ProcessSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERSAGA_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    rabbitmq_url: str = DEV_BROKER_URL
    bus_prefix: str = "ordersaga"
    log_level: str = "INFO"

    @property
    def topology(self) -> Topology:
        return Topology(self.bus_prefix)

    @model_validator(mode="after")
    def _refuse_default_credentials_in_production(self) -> "ProcessSettings":
        if self.environment == "production" and "guest:guest@" in self.rabbitmq_url:
            raise ValueError("ORDERSAGA_RABBITMQ_URL uses the default guest account in production")
        return self


class TemporalSettings(ProcessSettings):
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "order-saga"


def sqlite_url(service: str) -> str:
    return f"sqlite+aiosqlite:///.ordersaga/{service}.db"
