"""Inputs of the order activities that are not bus commands."""

from typing import Literal

from pydantic import BaseModel


class ApproveOrder(BaseModel):
    order_id: str
    total_cents: int


class CloseOrder(BaseModel):
    order_id: str
    status: Literal["REJECTED", "CANCELLED"]
    reason: str
