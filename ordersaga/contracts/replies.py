"""The reply a participant sends for a command: the event it produced, or a rejection."""

from pydantic import BaseModel

from ordersaga.contracts.events import ParticipantEvent


class Reply(BaseModel):
    command_id: str
    body: ParticipantEvent
