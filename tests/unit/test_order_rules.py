"""Why a paid order cannot be fulfilled: the pure rule fulfilment applies to what it read."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from b2b.domain.orders import Order, OrderState, unfulfillable_reason

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def order(code: str | None = "ABCDEFGHJKMNPQRS", terms_version: int | None = 2) -> Order:
    return Order(
        id="ord_1",
        user_id="alice",
        contract_id=7,
        product_id=11,
        run_id="run",
        code=code,
        code_kind="one_time" if code else None,
        amount=Decimal("40"),
        currency="usd",
        state=OrderState.PENDING_PAYMENT,
        holds_seat=False,
        created_at=NOW,
        hold_until=int(NOW.timestamp()) + 60,
        terms_version=terms_version,
    )


FREE = {"enrolled": False, "member": False, "code_free": True, "room_for_one": True, "terms_version": 2}


@pytest.mark.parametrize(
    ("the_order", "read", "reason"),
    [
        (order(), {}, None),
        (order(), {"terms_version": 3}, "terms_changed"),
        (order(terms_version=None), {"terms_version": 3}, None),  # stored before terms were recorded
        (order(), {"enrolled": True, "terms_version": 3}, "already_enrolled"),
        (order(), {"code_free": False}, "code_taken"),
        (order(), {"room_for_one": False}, "contract_full"),
        (order(), {"room_for_one": False, "member": True}, None),
        (order(code=None), {"code_free": None, "member": True, "room_for_one": False}, None),
        (order(code=None), {"code_free": None}, "not_a_member"),
        (order(code=None), {"code_free": None, "member": True, "terms_version": 1}, "terms_changed"),
    ],
)
def test_why_a_paid_order_cannot_be_fulfilled(the_order, read, reason):
    # Given what fulfilment read, When it decides, Then the reason is the expected one (None: fulfil)
    assert unfulfillable_reason(the_order, **(FREE | read)) == reason
