"""Settings of a participant process (inventory or payment)."""

from pydantic import Field

from settings.common import ProcessSettings, sqlite_url


class InventorySettings(ProcessSettings):
    inventory_db_url: str = sqlite_url("inventory")
    prefetch: int = Field(default=32, ge=1, description="commands in flight per consumer")
    seed: bool = True


class PaymentSettings(ProcessSettings):
    payment_db_url: str = sqlite_url("payment")
    prefetch: int = Field(default=32, ge=1, description="commands in flight per consumer")
    seed: bool = True
