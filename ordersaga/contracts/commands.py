"""Commands the saga sends to participants: imperative, each with a deterministic command_id.

The command_id is `<workflow id>:<run id>:<step>` (sagas started before v4: `<workflow id>:<step>`),
the same for every attempt of a step within one run, so a retried activity re-sends the same
command and the participant answers it from its processed-commands table instead of acting twice.
A new run of the same order id (a key reused after retention, a reset) sends new ids: it is never
answered with an earlier run's replies.
"""

from typing import Literal

from pydantic import BaseModel, Field

from ordersaga.contracts.orders import OrderLine


class _Command(BaseModel):
    command_id: str = Field(min_length=1, max_length=200)
    order_id: str = Field(min_length=1, max_length=100)


class ReserveStock(_Command):
    kind: Literal["ReserveStock"] = "ReserveStock"
    items: list[OrderLine] = Field(min_length=1)


class ReleaseStock(_Command):
    kind: Literal["ReleaseStock"] = "ReleaseStock"
    reason: str


class CommitStock(_Command):
    """The order completed: its reservation becomes a sale (on hand and reserved both fall)."""

    kind: Literal["CommitStock"] = "CommitStock"


class AuthorizePayment(_Command):
    kind: Literal["AuthorizePayment"] = "AuthorizePayment"
    customer_id: str
    payment_method: str
    amount_cents: int = Field(ge=0)


class VoidAuthorization(_Command):
    kind: Literal["VoidAuthorization"] = "VoidAuthorization"
    reason: str


class CapturePayment(_Command):
    kind: Literal["CapturePayment"] = "CapturePayment"


Command = (
    ReserveStock
    | ReleaseStock
    | CommitStock
    | AuthorizePayment
    | VoidAuthorization
    | CapturePayment
)
