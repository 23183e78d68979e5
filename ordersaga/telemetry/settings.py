"""The settings every process shares for telemetry: log format, trace exporter, metrics port."""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TelemetrySettings(BaseSettings):
    """Off by default; turned on per process by ORDERSAGA_* variables (README, Operating it)."""

    model_config = SettingsConfigDict(env_prefix="ORDERSAGA_", extra="ignore")

    log_level: str = "INFO"
    log_format: Literal["text", "json"] = Field(
        default="text", description="json: one JSON object a line, with the order's ids"
    )
    tracing: Literal["off", "console", "otlp"] = Field(
        default="off", description="where spans go: nowhere, stdout, or an OTLP collector"
    )
    otlp_endpoint: str = Field(
        default="http://127.0.0.1:4318", description="the OTLP/HTTP collector, for tracing=otlp"
    )
    service_name: str | None = Field(
        default=None, description="the trace's service.name; unset: the process's own name"
    )
    metrics_port: int | None = Field(
        default=None, ge=0, le=65535, description="serve Prometheus /metrics here; unset: off"
    )
    metrics_host: str = Field(default="127.0.0.1", description="where /metrics listens")
