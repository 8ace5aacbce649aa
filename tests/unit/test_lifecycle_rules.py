"""The code lifecycle as pure rules: terms and their version, claimed and retired codes, detached
products, the health audit's own statement, member checkout, and which refusals count as guessing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from b2b.domain.checkout_rules import quote
from b2b.domain.code_audit import audit_product
from b2b.domain.model import Contract, MembershipType
from b2b.domain.reconcile import (
    CodeKind,
    CodePolicy,
    CodeState,
    CodeStatus,
    EnrollmentCode,
    plan_product,
    target_for,
    transition_allowed,
)

from tests.unit.test_checkout_rules import code as checkout_code
from tests.unit.test_checkout_rules import contract as checkout_contract
from tests.unit.test_checkout_rules import state

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def contract(kind=MembershipType.CODE, cap=None, price=None, terms_version=1) -> Contract:
    return Contract(1, 1, "C", "c", "", kind, None, None, True, cap, price, "", NOW, NOW, 1, terms_version)


def code(seq, kind=CodeKind.ONE_TIME, status=CodeStatus.AVAILABLE, amount="0", redemptions=0, **extra):
    return EnrollmentCode(
        f"CODE{seq:012d}", 1, 7, seq, kind, status, Decimal(amount), None, None, redemptions, NOW, **extra
    )


def test_terms_are_price_membership_dates_active_and_cap_only():
    base = contract()
    assert replace(base, name="Renamed", welcome_message="Hi").terms == base.terms
    assert replace(base, price=Decimal(0)).terms == base.terms  # no price and 0 are both free
    for changed in (
        replace(base, price=Decimal(1)),
        replace(base, membership_type=MembershipType.MANAGED),
        replace(base, start=NOW),
        replace(base, end=NOW),
        replace(base, active=False),
        replace(base, max_learners=3),
    ):
        assert changed.terms != base.terms


def test_claimed_codes_stay_when_the_cap_drops_and_unclaimed_go_newest_first():
    # Given four codes, the two newest claimed by learners
    codes = [code(1), code(2), code(3, claimed_by="a"), code(4, claimed_by="b")]
    # When the cap drops to 2, then to 1
    to_two = plan_product(target_for(contract(cap=2), 7), codes)
    to_one = plan_product(target_for(contract(cap=1), 7), codes)
    # Then only unclaimed codes are deactivated, newest first, and nobody's claim is undone
    assert [c.seq for c in to_two.deactivate] == [2, 1]
    assert [c.seq for c in to_one.deactivate] == [2, 1]
    assert to_one.create == 0


def test_a_used_unlimited_code_under_older_terms_is_retired_and_replaced():
    used = code(1, CodeKind.UNLIMITED, redemptions=3, terms_version=1)
    # Under the terms it was issued with, it keeps serving
    assert plan_product(target_for(contract(terms_version=1), 7), [used]).is_empty
    # Once the terms change (a price here), it is retired and a new code is issued at the new price
    plan = plan_product(target_for(contract(price=Decimal(49), terms_version=2), 7), [used])
    assert plan.retire == [used]
    assert plan.create == 1
    assert plan.new_terms is not None and plan.new_terms.amount == Decimal(49)
    # And a cap also retires it (one-time codes replace it)
    capped = plan_product(target_for(contract(cap=2, terms_version=2), 7), [used])
    assert (capped.retire, capped.create) == ([used], 2)


def test_an_unused_unlimited_code_is_brought_to_the_current_terms_version():
    unused = code(1, CodeKind.UNLIMITED, terms_version=1)
    plan = plan_product(target_for(contract(kind=MembershipType.MANAGED, terms_version=2), 7), [unused])
    assert [(c.seq, t.kind) for c, t in plan.update] == [(1, CodeKind.UNLIMITED)]
    assert plan.create == 0


def test_a_detached_product_keeps_no_live_code():
    codes = [
        code(1),
        code(2, claimed_by="a"),
        code(3, status=CodeStatus.REDEEMED, redemptions=1),
        code(4, CodeKind.UNLIMITED, redemptions=2),
    ]
    target = target_for(contract(cap=3), 7, attached=False)
    assert target.policy is CodePolicy.DETACHED
    plan = plan_product(target, codes)
    assert [c.seq for c in plan.deactivate] == [2, 1]
    assert [c.seq for c in plan.retire] == [4]
    assert audit_product(target, codes) == ["3 codes are still live but the product is detached"]


def test_transitions_are_written_down():
    assert transition_allowed(CodeState.AVAILABLE, CodeState.CLAIMED)
    assert transition_allowed(CodeState.CLAIMED, CodeState.REDEEMED)
    assert transition_allowed(CodeState.AVAILABLE, CodeState.RETIRED)
    assert transition_allowed(CodeState.REDEEMED, CodeState.REDEEMED)
    assert not transition_allowed(CodeState.REDEEMED, CodeState.AVAILABLE)
    assert not transition_allowed(CodeState.DEACTIVATED, CodeState.AVAILABLE)
    assert not transition_allowed(CodeState.RETIRED, CodeState.AVAILABLE)
    assert not transition_allowed(CodeState.CLAIMED, CodeState.RETIRED)


def test_the_audit_counts_the_cap_without_the_planner():
    target = target_for(contract(cap=2, terms_version=1), 7)
    assert audit_product(target, [code(1), code(2)]) == []
    assert audit_product(target, [code(1)]) == [
        "1 codes are missing: 1 one-time codes (used, claimed or free) where the cap asks for 2"
    ]
    # Claims above the cap are fine, but then no free code may stay live
    held = [
        code(1, claimed_by="a"),
        code(2, claimed_by="b"),
        code(3, status=CodeStatus.REDEEMED, redemptions=1),
    ]
    assert audit_product(target, held) == []
    assert audit_product(target, [*held, code(4)]) == [
        "1 unclaimed codes are live although the cap is already held"
    ]
    stale = code(1, CodeKind.UNLIMITED, redemptions=1, terms_version=0)
    uncapped = target_for(contract(terms_version=1), 7)
    assert "1 unlimited codes still sell under older terms" in audit_product(uncapped, [stale])
    wrong_price = target_for(contract(cap=1, price=Decimal(5), terms_version=1), 7)
    assert audit_product(wrong_price, [code(1)]) == [
        "1 live codes do not carry the contract's current price and dates"
    ]


def test_a_member_needs_no_code_and_pays_the_contract_price():
    free = state(code=None, member_of=frozenset({7}))
    line = quote([11], free, NOW, code_given=False).lines[0]
    assert (line.valid, line.as_member, line.price) == (True, True, Decimal(0))
    priced = state(code=None, member_of=frozenset({7}), contracts={7: checkout_contract(price=Decimal(25))})
    q = quote([11], priced, NOW, code_given=False)
    assert (q.valid, q.total, q.requires_payment) == (True, Decimal(25), True)
    # A learner who is not a member still needs a code
    assert quote([11], state(code=None), NOW, code_given=False).lines[0].reasons[0].value == "code_required"


def test_a_refused_code_the_learner_holds_is_not_a_guess():
    own = state(code=checkout_code(status="redeemed", redeemed_by="me", held_by_learner=True))
    stranger = state(code=checkout_code(status="redeemed", redeemed_by="someone"))
    assert quote([11], own, NOW, code_given=True).failed_code_attempt is False
    assert quote([11], stranger, NOW, code_given=True).failed_code_attempt is True


def test_a_stale_used_unlimited_code_never_sells_and_a_stale_unused_one_sells_at_the_new_price():
    terms_two = {7: checkout_contract(price=Decimal(30), terms_version=2)}
    used = state(code=checkout_code(kind="unlimited", redemptions=4, terms_version=1), contracts=terms_two)
    assert [r.value for r in quote([11], used, NOW, code_given=True).lines[0].reasons] == ["code_invalid"]
    unused = state(code=checkout_code(kind="unlimited", terms_version=1), contracts=terms_two)
    assert quote([11], unused, NOW, code_given=True).total == Decimal(30)
