"""What must hold for one product's codes, stated on its own (the health check's rules).

This module does not ask the reconciler's planner anything: it recounts the codes and compares
them with the contract's terms, so a planner that is wrong (or a writer that skipped it) shows up
as drift instead of being confirmed by the same mistake.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from b2b.domain.reconcile import CodeKind, CodePolicy, CodeStatus, EnrollmentCode, ProductTarget


def _tail(code: EnrollmentCode) -> str:
    return f"…{code.code[-4:]}"


def audit_product(target: ProductTarget, codes: Sequence[EnrollmentCode]) -> list[str]:
    """The rules ``codes`` (one product's, any status) break under ``target`` (empty: healthy)."""
    live = [c for c in codes if c.status is CodeStatus.AVAILABLE]
    problems = _history_problems(codes)
    if target.policy in {CodePolicy.DETACHED, CodePolicy.WITHDRAWN}:
        if live:
            why = "the product is detached" if target.policy is CodePolicy.DETACHED else "no codes are needed"
            problems.append(f"{len(live)} codes are still live but {why}")
        return problems
    problems += _terms_problems(target, live)
    if target.policy is CodePolicy.UNLIMITED:
        problems += _uncapped_problems(live)
    elif target.policy is CodePolicy.CAPPED:
        problems += _capped_problems(target, codes, live)
    return problems


def missing_codes(target: ProductTarget, codes: Sequence[EnrollmentCode]) -> int:
    """How many codes the terms ask for that do not exist yet (what a reconcile still has to make)."""
    live = [c for c in codes if c.status is CodeStatus.AVAILABLE]
    if target.policy is CodePolicy.UNLIMITED:
        return 0 if any(c.kind is CodeKind.UNLIMITED for c in live) else 1
    if target.policy is CodePolicy.CAPPED:
        one_time = sum(
            1
            for c in codes
            if c.kind is CodeKind.ONE_TIME and c.status in {CodeStatus.AVAILABLE, CodeStatus.REDEEMED}
        )
        return max(0, target.seats - one_time)
    return 0


def _history_problems(codes: Sequence[EnrollmentCode]) -> list[str]:
    """Codes that cannot have come about by the written transitions."""
    problems = [
        f"code …{value[-4:]} appears twice"
        for value, times in Counter(c.code for c in codes).items()
        if times > 1
    ]
    for code in codes:
        if code.status is CodeStatus.REDEEMED and (
            code.redemptions == 0 or code.kind is not CodeKind.ONE_TIME
        ):
            problems.append(f"code {_tail(code)} is redeemed without being a used one-time code")
        if code.status is CodeStatus.RETIRED and code.redemptions == 0:
            problems.append(f"code {_tail(code)} is retired but was never used")
        if code.kind is CodeKind.ONE_TIME and code.redemptions > 1:
            problems.append(f"one-time code {_tail(code)} was used {code.redemptions} times")
    return problems


def _terms_problems(target: ProductTarget, live: Sequence[EnrollmentCode]) -> list[str]:
    """Live codes that do not sell at the contract's current terms."""
    problems = []
    stale = [
        c
        for c in live
        if (c.amount, c.valid_from, c.valid_until) != (target.amount, target.valid_from, target.valid_until)
    ]
    if stale:
        problems.append(f"{len(stale)} live codes do not carry the contract's current price and dates")
    old_unlimited = [
        c for c in live if c.kind is CodeKind.UNLIMITED and c.terms_version != target.terms_version
    ]
    if old_unlimited:
        problems.append(f"{len(old_unlimited)} unlimited codes still sell under older terms")
    return problems


def _uncapped_problems(live: Sequence[EnrollmentCode]) -> list[str]:
    problems = []
    if any(c.kind is CodeKind.ONE_TIME for c in live):
        problems.append("one-time codes are live on an uncapped contract")
    if not any(c.kind is CodeKind.UNLIMITED for c in live):
        problems.append("1 codes are missing: no live unlimited code")
    return problems


def _capped_problems(
    target: ProductTarget, codes: Sequence[EnrollmentCode], live: Sequence[EnrollmentCode]
) -> list[str]:
    """A capped product has one one-time code per seat: used, claimed or free (a claim is never taken back)."""
    problems = []
    if any(c.kind is CodeKind.UNLIMITED for c in live):
        problems.append("unlimited codes are live on a capped contract")
    used = sum(1 for c in codes if c.kind is CodeKind.ONE_TIME and c.status is CodeStatus.REDEEMED)
    claimed = sum(1 for c in live if c.kind is CodeKind.ONE_TIME and c.claimed_by is not None)
    free = sum(1 for c in live if c.kind is CodeKind.ONE_TIME and c.claimed_by is None)
    held = used + claimed
    if held + free < target.seats:
        problems.append(
            f"{target.seats - held - free} codes are missing: {held + free} one-time codes (used, claimed"
            f" or free) where the cap asks for {target.seats}"
        )
    elif held <= target.seats and held + free != target.seats:
        problems.append(
            f"{held + free} one-time codes (used, claimed or free) where the cap asks for {target.seats}"
        )
    if held > target.seats and free:
        problems.append(f"{free} unclaimed codes are live although the cap is already held")
    return problems
