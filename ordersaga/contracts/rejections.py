"""Business rejections: the reasons a participant may refuse a command."""

from enum import StrEnum


class RejectionCode(StrEnum):
    """Also the `type` of the non-retryable ApplicationError the saga sees."""

    OUT_OF_STOCK = "OutOfStock"
    UNKNOWN_SKU = "UnknownSku"
    PAYMENT_DECLINED = "PaymentDeclined"
    INSUFFICIENT_FUNDS = "InsufficientFunds"
    ALREADY_COMPENSATED = "AlreadyCompensated"
    NOTHING_TO_CAPTURE = "NothingToCapture"
    NOTHING_TO_COMMIT = "NothingToCommit"
    ALREADY_COMMITTED = "AlreadyCommitted"
    DUPLICATE_ORDER = "DuplicateOrder"
    INVALID_ORDER = "InvalidOrder"
    PRODUCT_EXISTS = "ProductExists"
    ACCOUNT_EXISTS = "AccountExists"
    INVALID_QUANTITY = "InvalidQuantity"


class Rejected(Exception):  # noqa: N818 - a rejection is an outcome, not an error
    """Raised by a participant's domain rule; becomes a CommandRejected reply and event."""

    def __init__(self, code: RejectionCode, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
