"""Orders against moto: holds, late payments, cancel, expiry, refund, and a stateful race check.

A controllable clock stands in for time (the use cases read ``utcnow``; the transactions take the
time they were decided at), so expiry is exact and the interleavings are deterministic.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from aws_lambda_powertools import Metrics
from b2b.db import codes as code_repo
from b2b.db import keys
from b2b.db import memberships as membership_repo
from b2b.db.models import EnrollmentCodeItem, EnrollmentItem, MembershipItem, SeatCounterItem
from b2b.domain.errors import Conflict, Forbidden, NotFound
from b2b.domain.model import utcnow
from b2b.services import checkout, contracts, orders, provisioning
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from orders_api.handler import lambda_handler

from tests import builders
from tests.factories import generate_context
from tests.integration.test_business_metrics import emitted

PRICE = Decimal("49.00")
HOLD = 1800


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    for module in ("b2b.services.orders", "b2b.services.checkout", "b2b.db.memberships"):
        monkeypatch.setattr(f"{module}.utcnow", fake)
    return fake


def priced(unique: str, cap: int | None):
    org = builders.organization(unique)
    contract = builders.contract(org, max_learners=cap, price=PRICE)
    product = builders.product(contract)
    return contract, product


def learner(name: str) -> checkout.Learner:
    return checkout.Learner(user_id=name, sso_claim=None)


def start(name: str, product, code: str | None) -> dict:
    return checkout.complete(learner(name), [product.id], code, None, None).receipt


def members(contract_id: int) -> int:
    """Independent recount: the membership items of the contract."""
    return sum(
        1
        for _ in MembershipItem.query(
            keys.contract_pk(contract_id), MembershipItem.sk.startswith(keys.MEMBERSHIP_SK_PREFIX)
        )
    )


def taken(contract_id: int) -> int:
    return int(SeatCounterItem.get(keys.contract_pk(contract_id), keys.SEATS_SK).taken)


def test_a_priced_checkout_holds_a_seat_and_the_code_and_payment_fulfils_once(unique, clock):
    # Given a priced contract with one seat and a one-time code
    contract, product = priced(unique, cap=1)
    code = builders.code(product, amount=PRICE)
    # When the learner completes the basket
    receipt = start(f"a-{unique}", product, code)
    # Then an order waits for payment, holding the seat and reserving the code; nothing is redeemed
    assert receipt["status"] == "pending_payment"
    order = receipt["order"]
    assert (order["state"], order["amount"], order["holds_seat"]) == ("pending_payment", "49.00", True)
    item = EnrollmentCodeItem.get(keys.code_pk(code), keys.CODE_SK)
    assert (item.status, item.reserved_by) == ("available", f"a-{unique}")
    assert taken(contract.id) == 0
    # And another learner is told the contract is full (the seat is held)
    other = builders.code(product, amount=PRICE)
    with pytest.raises(Conflict) as full:
        start(f"b-{unique}", product, other)
    assert full.value.code == "contract_full"
    # When the storefront confirms the payment twice with the same reference
    first, replayed_first = orders.confirm_payment(order["order_id"], "pi_1", "49.00")
    again, replayed_again = orders.confirm_payment(order["order_id"], "pi_1", "49.00")
    # Then the order is fulfilled once: one seat, one membership, one enrollment, code redeemed
    assert (first.state.value, replayed_first, again.state.value, replayed_again) == (
        "fulfilled",
        False,
        "fulfilled",
        True,
    )
    assert (taken(contract.id), members(contract.id)) == (1, 1)
    enrollment = EnrollmentItem.get(keys.user_pk(f"a-{unique}"), keys.enrollment_sk(product.run_id))
    assert enrollment.status == "active"
    item = EnrollmentCodeItem.get(keys.code_pk(code), keys.CODE_SK)
    assert (item.status, item.redeemed_by, item.reserved_by) == ("redeemed", f"a-{unique}", None)


def test_payment_checks_amount_and_reference(unique, clock):
    # Given a pending order
    _, product = priced(unique, cap=3)
    order = start(f"a-{unique}", product, builders.code(product, amount=PRICE))["order"]
    # When a payment of another amount arrives, Then it is refused and nothing changes
    with pytest.raises(Conflict) as wrong:
        orders.confirm_payment(order["order_id"], "pi_x", "10.00")
    assert wrong.value.code == "amount_mismatch"
    assert orders.get_order(order["order_id"]).state.value == "pending_payment"
    # When it is paid, Then another payment reference for it is refused
    orders.confirm_payment(order["order_id"], "pi_ok", "49")
    with pytest.raises(Conflict) as other:
        orders.confirm_payment(order["order_id"], "pi_other", "49.00")
    assert other.value.code == "order_already_paid"


def test_the_same_learner_completing_again_gets_the_same_pending_order(unique, clock):
    # Given a learner with a pending order holding the only seat
    _, product = priced(unique, cap=1)
    code = builders.code(product, amount=PRICE)
    first = start(f"a-{unique}", product, code)
    # When they complete the same basket again
    second = start(f"a-{unique}", product, code)
    # Then they get the same order back, not a second hold nor "contract full"
    assert second["order"]["order_id"] == first["order"]["order_id"]


def test_an_expired_hold_frees_the_seat_without_a_sweep_and_a_late_payment_is_unfulfillable(unique, clock):
    # Given a cap of 1 held by learner A's order
    contract, product = priced(unique, cap=1)
    a_order = start(f"a-{unique}", product, builders.code(product, amount=PRICE))["order"]
    # When the hold expires, Then learner B gets the seat at once (no sweep ran)
    clock.advance(HOLD + 1)
    b_order = start(f"b-{unique}", product, builders.code(product, amount=PRICE))["order"]
    assert b_order["holds_seat"] is True
    # And an admin cannot provision a third learner over the cap
    with pytest.raises(Conflict):
        provisioning.attach_learner(contract.id, f"c-{unique}")
    # When A's payment arrives late, Then A's order is paid but unfulfillable (B holds the seat)
    late, _ = orders.confirm_payment(a_order["order_id"], f"pi_a_{unique}", "49.00")
    assert (late.state.value, late.unfulfillable_reason, late.refund_due) == (
        "paid_unfulfillable",
        "contract_full",
        True,
    )
    # And B's payment fulfils; the cap holds
    paid_b, _ = orders.confirm_payment(b_order["order_id"], f"pi_b_{unique}", "49.00")
    assert paid_b.state.value == "fulfilled"
    assert (taken(contract.id), members(contract.id)) == (1, 1)
    # And A's order can be refunded
    assert orders.refund(a_order["order_id"]).state.value == "refunded"


def test_a_late_payment_fulfils_when_the_seat_and_code_are_still_free(unique, clock):
    # Given an order whose hold expired and was swept
    contract, product = priced(unique, cap=1)
    order = start(f"a-{unique}", product, builders.code(product, amount=PRICE))["order"]
    clock.advance(HOLD + 5)
    swept = orders.expire_due()
    assert swept >= 1
    assert orders.get_order(order["order_id"]).state.value == "expired"
    # When the payment arrives, Then the order is fulfilled (nobody took the seat or the code)
    paid, _ = orders.confirm_payment(order["order_id"], f"pi_{unique}", "49.00")
    assert paid.state.value == "fulfilled"
    assert members(contract.id) == 1


def test_cancel_releases_the_holds_at_once_and_refund_ends_the_enrollment(unique, clock):
    # Given a cap of 1 held by A's pending order
    contract, product = priced(unique, cap=1)
    code = builders.code(product, amount=PRICE)
    order = start(f"a-{unique}", product, code)["order"]
    # When another learner tries to cancel it, Then it looks unknown to them
    with pytest.raises(NotFound):
        orders.cancel(order["order_id"], user_id=f"b-{unique}")
    # When A cancels, Then the seat and the code are free again at once
    assert orders.cancel(order["order_id"], user_id=f"a-{unique}").state.value == "cancelled"
    assert EnrollmentCodeItem.get(keys.code_pk(code), keys.CODE_SK).reserved_by is None
    b_order = start(f"b-{unique}", product, builders.code(product, amount=PRICE))["order"]
    orders.confirm_payment(b_order["order_id"], f"pi_{unique}", "49.00")
    # When B's order is refunded, Then the enrollment ends and the seat is given back
    refunded = orders.refund(b_order["order_id"])
    assert refunded.state.value == "refunded"
    enrollment = EnrollmentItem.get(keys.user_pk(f"b-{unique}"), keys.enrollment_sk(product.run_id))
    assert enrollment.status == "unenrolled"
    assert (taken(contract.id), members(contract.id)) == (0, 0)
    # And a payment arriving for the cancelled order is recorded for a refund, not fulfilled
    paid, _ = orders.confirm_payment(order["order_id"], f"pi_late_{unique}", "49.00")
    assert (paid.state.value, paid.refund_due) == ("cancelled", True)


def test_the_orders_scope_is_required():
    with pytest.raises(Forbidden):
        orders.require_scope(["openid", "profile"])
    orders.require_scope(["b2b/orders.write"])


class OrdersRace(RuleBasedStateMachine):
    """Checkouts, payments (on time and late), cancels, sweeps, admin attaches and clock jumps in
    any order: the contract never goes over its cap, and every paid order ends fulfilled,
    cancelled-and-refundable or paid_unfulfillable."""

    CAP = 2

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.patches = pytest.MonkeyPatch()
        for module in ("b2b.services.orders", "b2b.services.checkout", "b2b.db.memberships"):
            self.patches.setattr(f"{module}.utcnow", self.clock)
        suffix = uuid.uuid4().hex[:8]
        self.contract, self.product = priced(f"race-{suffix}", cap=self.CAP)
        self.learners = [f"race-{suffix}-{i}" for i in range(6)]
        self.order_ids: list[str] = []
        self.paid: set[str] = set()

    def teardown(self) -> None:
        self.patches.undo()

    @rule(who=st.integers(0, 5))
    def checkout(self, who: int) -> None:
        try:
            receipt = start(self.learners[who], self.product, builders.code(self.product, amount=PRICE))
        except Conflict:
            return  # contract full, already enrolled, pending order for another code...
        if receipt["order"]["order_id"] not in self.order_ids:
            self.order_ids.append(receipt["order"]["order_id"])

    @precondition(lambda self: self.order_ids)
    @rule(index=st.integers(0, 50))
    def pay(self, index: int) -> None:
        order_id = self.order_ids[index % len(self.order_ids)]
        try:
            orders.confirm_payment(order_id, f"pi-{order_id}", "49.00")
        except Conflict:
            return  # an order that is refunded or otherwise not payable
        self.paid.add(order_id)

    @precondition(lambda self: self.order_ids)
    @rule(index=st.integers(0, 50))
    def cancel(self, index: int) -> None:
        try:
            orders.cancel(self.order_ids[index % len(self.order_ids)])
        except Conflict:
            return

    @rule(seconds=st.sampled_from([60, HOLD - 1, HOLD + 1]))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)

    @rule()
    def sweep(self) -> None:
        orders.expire_due()

    @rule(who=st.integers(0, 5))
    def admin_attach(self, who: int) -> None:
        try:
            provisioning.attach_learner(self.contract.id, self.learners[who] + "-admin")
        except Conflict:
            return

    @invariant()
    def never_over_the_cap(self) -> None:
        counter = membership_repo.read_seats(self.contract.id)
        assert counter is not None
        recount = members(self.contract.id)
        assert counter.taken == recount
        assert recount + counter.held(self.clock.now) <= self.CAP

    @invariant()
    def every_paid_order_ends_well(self) -> None:
        for order_id in self.paid:
            order = orders.get_order(order_id)
            assert order.state.value in {"fulfilled", "paid_unfulfillable", "cancelled"}, order
            if order.state.value != "fulfilled":
                assert order.refund_due


OrdersRace.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=14,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_orders_race = OrdersRace.TestCase


def test_the_scheduled_sweep_expires_due_orders_and_emits_events(unique, clock, capsys, caplog):
    # Given a pending order whose hold ended, and one whose hold still lives
    _, product = priced(unique, cap=5)
    old = start(f"old-{unique}", product, builders.code(product, amount=PRICE))["order"]
    clock.advance(HOLD + 1)
    fresh = start(f"new-{unique}", product, builders.code(product, amount=PRICE))["order"]
    capsys.readouterr()
    # When EventBridge's schedule invokes the orders function
    result = lambda_handler(
        {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}, generate_context()
    )
    # Then the ended order is expired (its code reservation released) and the live one stays pending
    assert result["expired"] >= 1
    assert orders.get_order(old["order_id"]).state.value == "expired"
    assert orders.get_order(fresh["order_id"]).state.value == "pending_payment"
    # And an expired event went out as a log line and a metric
    assert emitted(capsys.readouterr().out).get("OrderExpired", 0) >= 1
    events = [(r.getMessage(), getattr(r, "order_id", None)) for r in caplog.records]
    assert ("order expired", old["order_id"]) in events


def test_an_unfulfillable_payment_emits_the_alarmed_metric(unique, clock, capsys):
    # Given an order whose code was taken by another learner after its hold expired
    _, product = priced(unique, cap=5)
    code = builders.code(product, amount=PRICE)
    first = start(f"a-{unique}", product, code)["order"]
    clock.advance(HOLD + 1)
    start(f"b-{unique}", product, code)  # B reserves the same one-time code now
    Metrics().flush_metrics()
    capsys.readouterr()
    # When A's payment arrives
    paid, _ = orders.confirm_payment(first["order_id"], f"pi-{unique}", "49.00")
    # Then A's order is paid_unfulfillable (code taken) and the alarm's metric is emitted
    assert (paid.state.value, paid.unfulfillable_reason) == ("paid_unfulfillable", "code_taken")
    Metrics().flush_metrics()
    assert emitted(capsys.readouterr().out).get("OrdersPaidUnfulfillable") == 1


def call_unsigned(method: str, path: str, body: object = None, **kw):
    from tests.factories import call, generate_api_gw_event

    return call(lambda_handler, generate_api_gw_event(method, path, body, **kw))


STOREFRONT = {"sub": "storefront", "client_id": "storefront", "scope": "b2b/orders.write"}


def orders_call(method: str, path: str, body: object = None, claims: dict[str, str] | None = None, **kw):
    from tests.factories import call, generate_api_gw_event

    event = generate_api_gw_event(method, path, body, claims=claims or STOREFRONT, **kw)
    return call(lambda_handler, event)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"payment_reference": "pi_1", "amount": "abc"}, "amount"),
        ({"payment_reference": "pi_1", "amount": "49.001"}, "amount"),
        ({"payment_reference": "", "amount": "49.00"}, "payment_reference"),
        ({"payment_reference": "pi 1", "amount": "49.00"}, "payment_reference"),
        ({"amount": "49.00"}, "payment_reference"),
        ({"payment_reference": "pi_1", "amount": "49.00", "extra": 1}, "extra"),
    ],
)
def test_bad_payment_bodies_are_4xx_naming_the_field(unique, clock, body, field):
    # Given a pending order
    _, product = priced(unique, cap=2)
    order = start(f"a-{unique}", product, builders.code(product, amount=PRICE))["order"]
    # When the storefront sends a malformed payment
    result = orders_call("POST", f"/v1/orders/{order['order_id']}/payment", body)
    # Then it is a 4xx naming the field, and the order is unchanged
    assert 400 <= result.status < 500, result.body
    assert field in json.dumps(result.body)
    assert orders.get_order(order["order_id"]).state.value == "pending_payment"


def test_unknown_orders_and_missing_scopes(unique):
    # When the storefront pays an unknown order, Then 404
    missing = orders_call("POST", "/v1/orders/ord_nope/payment", {"payment_reference": "p", "amount": "1"})
    assert (missing.status, missing.body["error"]["code"]) == (404, "order_not_found")
    # When a learner's token (no scope) refunds, Then 403
    learner_claims = {"sub": f"l-{unique}", "email": "l@example.com"}
    refused = orders_call("POST", "/v1/orders/ord_nope/refund", claims=learner_claims)
    assert (refused.status, refused.body["error"]["code"]) == (403, "scope_required")
    # When nobody signs in, Then 401; without a webhook secret every Stripe call is refused
    anonymous = call_unsigned("GET", "/v1/me/orders")
    assert anonymous.status == 401
    stripe = call_unsigned("POST", "/v1/hooks/stripe", headers={"stripe-signature": "t=1,v1=00"}, body={})
    assert (stripe.status, stripe.body["error"]["code"]) == (503, "stripe_not_configured")


def test_a_priced_complete_costs_three_requests(unique, clock, ddb_requests):
    # Given a priced capped contract and a learner's code
    _, product = priced(unique, cap=3)
    code = builders.code(product, amount=PRICE)
    ddb_requests.reset()
    # When the learner completes
    receipt = start(f"a-{unique}", product, code)
    # Then the order, its holds and the marker cost the checkout's two reads and one transaction
    assert receipt["status"] == "pending_payment"
    assert ddb_requests.calls == ["BatchGetItem", "BatchGetItem", "TransactWriteItems"]


def test_a_member_pays_the_contract_price_without_a_code(unique, clock):
    # Given a learner already attached to a priced contract (holding one of its two seats)
    contract, product = priced(unique, cap=2)
    provisioning.attach_learner(contract.id, f"m-{unique}")
    # When they complete the contract's run without a code
    receipt = start(f"m-{unique}", product, None)
    # Then an order waits for the contract's price, holding no extra seat and reserving no code
    order = receipt["order"]
    assert (receipt["status"], order["amount"], order["holds_seat"]) == ("pending_payment", "49.00", False)
    stored = orders.get_order(order["order_id"])
    assert (stored.code, stored.code_kind, stored.terms_version) == (None, None, contract.terms_version)
    # When the storefront confirms the payment
    paid, _ = orders.confirm_payment(order["order_id"], f"pi_m_{unique}", "49.00")
    # Then the member is enrolled, still holding one seat, and no code was redeemed
    assert (paid.state.value, paid.attached) == ("fulfilled", False)
    assert (taken(contract.id), members(contract.id)) == (1, 1)
    enrollment = EnrollmentItem.get(keys.user_pk(f"m-{unique}"), keys.enrollment_sk(product.run_id))
    assert enrollment.status == "active"


def test_a_learner_who_left_the_contract_cannot_be_fulfilled_without_a_code(unique, clock):
    # Given a member's order without a code, and the member detached before paying
    contract, product = priced(unique, cap=2)
    provisioning.attach_learner(contract.id, f"m-{unique}")
    order = start(f"m-{unique}", product, None)["order"]
    MembershipItem(pk=keys.contract_pk(contract.id), sk=keys.membership_sk(f"m-{unique}")).delete()
    # When the payment arrives
    paid, _ = orders.confirm_payment(order["order_id"], f"pi_l_{unique}", "49.00")
    # Then the order waits for its refund, saying why, and nobody was enrolled
    assert (paid.state.value, paid.unfulfillable_reason) == ("paid_unfulfillable", "not_a_member")
    with pytest.raises(EnrollmentItem.DoesNotExist):
        EnrollmentItem.get(keys.user_pk(f"m-{unique}"), keys.enrollment_sk(product.run_id))


def test_a_payment_after_the_terms_changed_is_refused_for_a_refund(unique, clock):
    # Given a pending order priced at the contract's current terms, reserving a one-time code
    contract, product = priced(unique, cap=3)
    code = builders.code(product, amount=PRICE)
    order = start(f"a-{unique}", product, code)["order"]
    assert orders.get_order(order["order_id"]).terms_version == contract.terms_version
    # When an administrator changes the contract's price before the payment arrives
    changed = contracts.change_contract(contract.id, {"price": Decimal("59.00")})
    assert changed.terms_version != contract.terms_version
    paid, _ = orders.confirm_payment(order["order_id"], f"pi_t_{unique}", "49.00")
    # Then the paid order is not fulfilled at the old terms: it waits for a refund, saying why
    assert (paid.state.value, paid.unfulfillable_reason, paid.refund_due) == (
        "paid_unfulfillable",
        "terms_changed",
        True,
    )
    assert (taken(contract.id), members(contract.id)) == (0, 0)
    # And the code is released, unredeemed, for a checkout at the new terms
    item = EnrollmentCodeItem.get(keys.code_pk(code), keys.CODE_SK)
    assert (item.status, item.reserved_by, int(item.redemptions or 0)) == ("available", None, 0)
    assert orders.refund(order["order_id"]).state.value == "refunded"


def test_the_reconciler_does_not_deactivate_a_code_a_live_order_reserved(unique, clock):
    # Given two one-time codes of a product, one reserved by a learner's pending order
    _, product = priced(unique, cap=3)
    reserved = builders.code(product, amount=PRICE)
    free = builders.code(product, amount=PRICE)
    order = start(f"a-{unique}", product, reserved)["order"]
    planned = [c for c in code_repo.contract_codes(product.contract_id) if c.code in {reserved, free}]
    # When the reconciler deactivates both (as planned from its read) while the hold lives
    done = code_repo.deactivate_codes(product.contract_id, product.id, planned, clock.now)
    # Then only the free one is deactivated; the reserved one is still there for the payment
    status = {c: EnrollmentCodeItem.get(keys.code_pk(c), keys.CODE_SK).status for c in (reserved, free)}
    assert (done, status) == (1, {reserved: "available", free: "deactivated"})
    paid, _ = orders.confirm_payment(order["order_id"], f"pi_r_{unique}", "49.00")
    assert paid.state.value == "fulfilled"


def test_a_code_whose_order_hold_ended_can_be_deactivated(unique, clock):
    # Given a one-time code reserved by an order whose hold has ended (no sweep yet)
    _, product = priced(unique, cap=3)
    reserved = builders.code(product, amount=PRICE)
    start(f"a-{unique}", product, reserved)
    clock.advance(HOLD + 1)
    planned = [c for c in code_repo.contract_codes(product.contract_id) if c.code == reserved]
    # When the reconciler deactivates it, Then it is deactivated
    assert code_repo.deactivate_codes(product.contract_id, product.id, planned, clock.now) == 1
    assert EnrollmentCodeItem.get(keys.code_pk(reserved), keys.CODE_SK).status == "deactivated"
