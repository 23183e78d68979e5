"""The payment service as the host runs it: authorizes an order's payment, voids it when a saga
compensates, captures it once the order is approved; and opens an operator's new accounts."""

from pathlib import Path

from ordersaga.contracts.commands import (
    AuthorizePayment,
    CapturePayment,
    OpenAccount,
    VoidAuthorization,
)
from ordersaga.services.host.service import Service
from ordersaga.services.payment import accounts, queries, rules
from ordersaga.services.payment.models import Base
from ordersaga.services.payment.seed import DEMO_ACCOUNTS

PAYMENT = Service(
    name="payment",
    tables=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    rules={
        AuthorizePayment: rules.authorize_payment,
        VoidAuthorization: rules.void_authorization,
        CapturePayment: rules.capture_payment,
        OpenAccount: accounts.open_account,
    },
    demo_data=DEMO_ACCOUNTS,
    state=queries.payment_state,
)
