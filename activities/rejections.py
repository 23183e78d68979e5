"""A business rejection as the saga sees it: a non-retryable ApplicationError whose `type` is
the rejection code, logged as one INFO line (an expected outcome, not a fault: no traceback;
the BENIGN category keeps the SDK from logging it as a failure too)."""

import logging

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from ordersaga.contracts.rejections import RejectionCode

log = logging.getLogger("ordersaga.rejections")


def rejected(order_id: str, code: RejectionCode, reason: str) -> ApplicationError:
    step = activity.info().activity_type
    log.info("order %s: %s refused: %s: %s", order_id, step, code.value, reason)
    return ApplicationError(
        reason, type=code.value, non_retryable=True, category=ApplicationErrorCategory.BENIGN
    )
