"""The reconciliation rules as pure functions: examples from the seed, and properties."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from b2b.domain.model import Contract, MembershipType
from b2b.domain.reconcile import (
    CodeKind,
    CodePolicy,
    CodeStatus,
    EnrollmentCode,
    plan_product,
    target_for,
)
from hypothesis import given
from hypothesis import strategies as st

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def contract(kind=MembershipType.CODE, cap=None, price=None) -> Contract:
    return Contract(1, 1, "C", "c", "", kind, None, None, True, cap, price, "", NOW, NOW, 1)


def code(
    seq, kind=CodeKind.ONE_TIME, status=CodeStatus.AVAILABLE, amount="0", redemptions=0
) -> EnrollmentCode:
    return EnrollmentCode(
        f"CODE{seq:012d}", 1, 7, seq, kind, status, Decimal(amount), None, None, redemptions, NOW
    )


def test_policies_follow_membership_price_and_cap():
    assert target_for(contract(cap=200), 7).policy is CodePolicy.CAPPED
    assert target_for(contract(cap=200), 7).seats == 200
    assert target_for(contract(), 7).policy is CodePolicy.UNLIMITED
    assert target_for(contract(MembershipType.AUTO), 7).policy is CodePolicy.WITHDRAWN
    assert target_for(contract(MembershipType.AUTO, cap=5), 7).policy is CodePolicy.UNCHANGED
    assert target_for(contract(MembershipType.AUTO, price=Decimal(3)), 7).policy is CodePolicy.UNLIMITED


def test_capped_product_gets_n_one_time_codes():
    plan = plan_product(target_for(contract(cap=200, price=Decimal("5")), 7), [])
    assert plan.create == 200
    assert plan.new_terms is not None
    assert (plan.new_terms.kind, plan.new_terms.amount) == (CodeKind.ONE_TIME, Decimal("5"))


def test_cap_lowered_deactivates_newest_unredeemed_first():
    codes = [code(1), code(2, status=CodeStatus.REDEEMED, redemptions=1), code(3), code(4)]
    plan = plan_product(target_for(contract(cap=2), 7), codes)
    assert [c.seq for c in plan.deactivate] == [4, 3]
    assert plan.create == 0


def test_cap_removed_turns_unredeemed_codes_unlimited_and_leaves_redeemed_ones():
    codes = [code(1), code(2, status=CodeStatus.REDEEMED, redemptions=1)]
    plan = plan_product(target_for(contract(), 7), codes)
    assert [(c.seq, t.kind) for c, t in plan.update] == [(1, CodeKind.UNLIMITED)]
    assert plan.create == 0


def test_free_auto_uncapped_withdraws_every_unredeemed_code():
    codes = [code(1), code(2, kind=CodeKind.UNLIMITED, redemptions=3), code(3)]
    plan = plan_product(target_for(contract(MembershipType.AUTO), 7), codes)
    assert [c.seq for c in plan.deactivate] == [3, 1]


@given(
    cap=st.one_of(st.none(), st.integers(0, 8)),
    kind=st.sampled_from(list(MembershipType)),
    price=st.sampled_from([None, Decimal(0), Decimal(4)]),
    states=st.lists(
        st.tuples(st.sampled_from(list(CodeKind)), st.sampled_from(list(CodeStatus)), st.integers(0, 2)),
        max_size=12,
    ),
)
def test_a_plan_never_touches_history_and_applying_it_converges(cap, kind, price, states):
    codes = [
        code(i + 1, k, s, redemptions=r if s is not CodeStatus.REDEEMED else max(r, 1))
        for i, (k, s, r) in enumerate(states)
    ]
    target = target_for(contract(kind, cap or None, price), 7)
    plan = plan_product(target, codes)
    touched = {c.seq for c in plan.deactivate} | {c.seq for c, _ in plan.update}
    assert not any(c.is_history for c in codes if c.seq in touched)
    # Only used unlimited codes are retired, and only by a status change (their redemptions kept)
    assert all(c.is_used_unlimited for c in plan.retire)

    # Applying the plan leaves nothing more to do
    by_seq = {c.seq: c for c in codes}
    for c in plan.deactivate:
        by_seq[c.seq] = EnrollmentCode(**{**c.__dict__, "status": CodeStatus.DEACTIVATED})
    for c in plan.retire:
        by_seq[c.seq] = EnrollmentCode(**{**c.__dict__, "status": CodeStatus.RETIRED})
    for c, terms in plan.update:
        by_seq[c.seq] = c.with_terms(terms, target.terms_version)
    for i in range(plan.create):
        seq = len(codes) + i + 1
        assert plan.new_terms is not None
        by_seq[seq] = code(seq).with_terms(plan.new_terms)
    assert plan_product(target, list(by_seq.values())).is_empty
