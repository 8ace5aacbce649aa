"""Checkout rules on plain domain values: reasons, prices, the code-attempt rule, no oracle."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from b2b.api.errors import status_of
from b2b.domain.checkout_rules import (
    CheckoutCode,
    CheckoutState,
    Reason,
    Seats,
    quote,
    rejection,
    request_hash,
)
from b2b.domain.model import Contract, MembershipType, Product

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def contract(**changes: object) -> Contract:
    base = Contract(
        id=7,
        organization_id=3,
        name="C",
        slug="c",
        description="",
        membership_type=MembershipType.CODE,
        start=None,
        end=None,
        active=True,
        max_learners=None,
        price=None,
        welcome_message="",
        created_at=NOW,
        updated_at=NOW,
        version=1,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def product(product_id: int = 11, price: str = "0") -> Product:
    return Product(
        id=product_id,
        contract_id=7,
        run_id=f"run-{product_id}",
        course_id="course",
        title="T",
        price=Decimal(price),
        active=True,
        created_at=NOW,
    )


def code(**changes: object) -> CheckoutCode:
    base = CheckoutCode(
        code="A" * 16,
        contract_id=7,
        product_id=11,
        kind="one_time",
        status="available",
        amount=Decimal(0),
        valid_from=None,
        valid_until=None,
        redemptions=0,
        redeemed_by=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def state(**changes: object) -> CheckoutState:
    base = CheckoutState(
        products={11: product(), 12: product(12)},
        code=code(),
        contracts={7: contract()},
        seats={7: Seats(0, None)},
        member_of=frozenset(),
        enrolled_runs=frozenset(),
        sso_organization=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def reasons(s: CheckoutState, product_id: int = 11, code_given: bool = True) -> list[str]:
    return [r.value for r in quote([product_id], s, NOW, code_given=code_given).lines[0].reasons]


def test_a_valid_code_makes_the_line_valid_at_its_amount():
    # Given a priced product and a $0 code for it
    s = state(products={11: product(price="120")})
    # When quoted
    q = quote([11], s, NOW, code_given=True)
    # Then the line is valid, list price kept, price after the code 0, nothing to pay
    assert q.valid
    assert (q.lines[0].list_price, q.lines[0].price) == (Decimal(120), Decimal(0))
    assert q.requires_payment is False
    assert q.failed_code_attempt is False


def test_no_code_is_never_payable_even_at_zero():
    assert reasons(state(code=None), code_given=False) == ["code_required"]


def test_an_auto_contract_without_price_points_to_sso():
    s = state(code=None, contracts={7: contract(membership_type=MembershipType.AUTO)})
    line = quote([11], s, NOW, code_given=False).lines[0]
    assert [r.value for r in line.reasons] == ["code_required"]
    assert "signing in" in line.message


@pytest.mark.parametrize(
    "bad_code",
    [
        None,  # unknown
        code(status="deactivated"),
        code(contract_id=99),
        code(valid_until=NOW - timedelta(seconds=1)),
        code(valid_from=NOW + timedelta(days=1)),
    ],
)
def test_unknown_deactivated_expired_and_foreign_codes_read_alike(bad_code):
    line = quote([11], state(code=bad_code), NOW, code_given=True).lines[0]
    assert [r.value for r in line.reasons] == ["code_invalid"]
    assert line.message == "This enrollment code is not valid."
    assert quote([11], state(code=bad_code), NOW, code_given=True).failed_code_attempt


def test_code_of_another_product_of_the_same_contract():
    assert reasons(state(), product_id=12) == ["code_not_for_product"]


def test_used_one_time_code_but_unlimited_code_keeps_serving():
    assert reasons(state(code=code(status="redeemed"))) == ["code_already_used"]
    assert reasons(state(code=code(kind="unlimited", redemptions=40))) == []


def test_contract_rules_add_up():
    s = state(
        contracts={7: contract(active=False, membership_type=MembershipType.MANAGED, max_learners=1)},
        seats={7: Seats(1, 1)},
        enrolled_runs=frozenset({"run-11"}),
    )
    assert reasons(s) == ["contract_not_open", "sso_required", "contract_full", "already_enrolled"]


def test_a_member_takes_no_new_seat_so_a_full_contract_still_lets_them_in():
    s = state(contracts={7: contract(max_learners=1)}, seats={7: Seats(1, 1)}, member_of=frozenset({7}))
    assert reasons(s) == []


def test_sso_claim_of_the_contract_organization_satisfies_managed():
    managed = {7: contract(membership_type=MembershipType.MANAGED)}
    assert reasons(state(contracts=managed, sso_organization=3)) == []
    assert reasons(state(contracts=managed, sso_organization=4)) == ["sso_required"]


def test_unknown_or_inactive_product():
    assert reasons(state(), product_id=404) == ["unknown_product"]
    inactive = state(products={11: replace(product(), active=False)})
    assert reasons(inactive) == ["unknown_product"]


def test_a_basket_listing_a_product_twice_is_one_line():
    assert len(quote([11, 11], state(), NOW, code_given=True).lines) == 1


def test_a_code_accepted_on_one_line_is_not_a_failed_attempt():
    q = quote([11, 12], state(), NOW, code_given=True)
    assert not q.valid
    assert q.failed_code_attempt is False


def test_rejections_map_to_status():
    assert status_of(rejection(Reason.CODE_INVALID, "m")) == 404
    assert status_of(rejection(Reason.SSO_REQUIRED, "m")) == 403
    assert status_of(rejection(Reason.CODE_ALREADY_USED, "m")) == 409
    assert rejection(Reason.CONTRACT_FULL, "m").code == "contract_full"


def test_request_hash_ignores_order_and_repeats_but_not_the_code():
    assert request_hash([1, 2, 2], "X", None) == request_hash([2, 1], "X", None)
    assert request_hash([1], "X", None) != request_hash([1], "Y", None)
