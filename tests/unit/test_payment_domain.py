import pytest

from ordersaga.contracts.rejections import RejectionCode
from ordersaga.services.payment.domain import (
    DECLINED_METHOD,
    authorization_id,
    available_credit,
    card_refusal,
    insufficient_funds,
    nothing_to_capture,
)


@pytest.mark.parametrize(
    ("blocked", "method"), [(True, "card-4242"), (False, DECLINED_METHOD), (True, DECLINED_METHOD)]
)
def test_a_blocked_account_or_the_declined_method_is_refused(blocked: bool, method: str) -> None:
    refusal = card_refusal(blocked, method)

    assert refusal is not None
    assert (refusal.code, refusal.reason) == (
        RejectionCode.PAYMENT_DECLINED,
        "card declined by issuer",
    )


def test_a_good_card_is_not_refused() -> None:
    assert card_refusal(False, "card-4242") is None


def test_available_credit_is_the_limit_less_holds_and_captures() -> None:
    assert available_credit(5000, held_cents=1000, captured_cents=1500) == 2500


def test_the_authorization_id_is_derived_from_the_order() -> None:
    assert authorization_id("o-1") == authorization_id("o-1") != authorization_id("o-2")


def test_rejections_say_what_was_missing() -> None:
    assert insufficient_funds(2500, 3000).reason == "available 2500, needed 3000"
    assert nothing_to_capture("o-1", None).reason == "order o-1: no authorization"
    assert nothing_to_capture("o-1", "VOIDED").reason == "order o-1: the authorization is VOIDED"
