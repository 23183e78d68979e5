"""Settings of a participant process (inventory or payment)."""

from pydantic import Field

from settings.common import ProcessSettings, sqlite_url


class ParticipantSettings(ProcessSettings):
    prefetch: int = Field(default=32, ge=1, description="commands in flight per consumer")
    seed: bool = Field(default=True, description="put demo data in an empty database")


class InventorySettings(ParticipantSettings):
    inventory_db_url: str = sqlite_url("inventory")


class PaymentSettings(ParticipantSettings):
    payment_db_url: str = sqlite_url("payment")
