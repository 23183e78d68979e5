"""The custom search attributes the saga upserts, so the Temporal UI can find orders by them.

A real cluster needs them registered once (the README shows the commands); `ordersaga dev`
registers them on the dev server.
"""

from typing import Any

from temporalio.common import SearchAttributeKey

CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
ORDER_TOTAL = SearchAttributeKey.for_float("OrderTotal")
REJECTION_REASON = SearchAttributeKey.for_keyword("RejectionReason")

ALL: list[SearchAttributeKey[Any]] = [CUSTOMER_ID, ORDER_STATUS, ORDER_TOTAL, REJECTION_REASON]
