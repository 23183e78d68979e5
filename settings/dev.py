"""Settings of `ordersaga dev`, the supervisor that runs the whole system on one machine."""

from pathlib import Path

from pydantic import Field

from settings.api import ApiSettings


class DevSettings(ApiSettings):
    temporal_ui_port: int = Field(default=8233, description="Temporal Web UI of the dev server")
    state_dir: Path = Field(default=Path(".ordersaga"), description="SQLite files, Temporal DB")

    @property
    def temporal_host_port(self) -> tuple[str, int]:
        host, _, port = self.temporal_address.rpartition(":")
        return host or "127.0.0.1", int(port)
