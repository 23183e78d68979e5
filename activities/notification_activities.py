"""Telling the customer their order went through.

For now the notification is a structured log line (`ordersaga.notifications`), the seam where an
e-mail or push sender goes. `notification_id` is the same for every attempt of one order's
confirmation, so a real sender can drop the duplicates a retry would produce.
"""

import logging

from pydantic import BaseModel
from temporalio import activity

log = logging.getLogger("ordersaga.notifications")


class OrderConfirmation(BaseModel):
    notification_id: str
    order_id: str
    customer_id: str
    total_cents: int


@activity.defn(name="notify_customer")
async def notify_customer(confirmation: OrderConfirmation) -> None:
    log.info(
        "order confirmation sent to %s for order %s (%d cents)",
        confirmation.customer_id,
        confirmation.order_id,
        confirmation.total_cents,
        extra={"notification": confirmation.model_dump()},
    )
