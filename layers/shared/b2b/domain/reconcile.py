"""The code lifecycle and the reconciliation rules, as pure functions (no I/O).

Given a contract, one of its products and the product's current codes, :func:`plan_product`
says what must change so the codes follow the rules. The reconciler applies plans; the health
check states what must hold on its own (:mod:`b2b.domain.code_audit`), so it can catch a planner
that is wrong.

Code states (:class:`CodeState`) and their written transitions (:data:`TRANSITIONS`):

* ``available``: live and unused (a one-time code nobody holds, or an unlimited code);
* ``claimed``: a one-time code a learner attached with (``claimed_by``); it belongs to them and is
  kept when the cap drops (lowering a cap evicts no one);
* ``redeemed``: a one-time code used at checkout: history, never changed again;
* ``deactivated``: withdrawn before use (cap lowered, product detached, codes no longer needed);
* ``retired``: an unlimited code that was used under terms that have since changed, or whose
  product was detached: its redemptions are kept, it sells no more, and a new code is issued.

Rules (per product of a contract):

* codes are needed when the contract is ``code``/``managed`` or has a price;
* uncapped → an unlimited code per product; capped at N → N one-time codes per product;
* cap removed → unredeemed one-time codes become unlimited; cap lowered → surplus codes nobody
  holds are deactivated, newest first (claimed codes are kept); cap raised or new product →
  missing codes are created;
* price or dates changed → the terms of unredeemed codes follow;
* a used unlimited code issued under older terms is retired (and a new one issued);
* ``auto`` + free + uncapped, or a detached product → every unredeemed code is deactivated and
  every used unlimited code retired;
* a redeemed one-time code is history: never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from b2b.domain.model import Contract


class CodeStatus(StrEnum):
    """What the table stores in a code's ``status`` (``claimed`` is an available code with a holder)."""

    AVAILABLE = "available"
    REDEEMED = "redeemed"
    DEACTIVATED = "deactivated"
    RETIRED = "retired"


class CodeState(StrEnum):
    """A code's place in its lifecycle."""

    AVAILABLE = "available"
    CLAIMED = "claimed"
    REDEEMED = "redeemed"
    DEACTIVATED = "deactivated"
    RETIRED = "retired"


# Every change of state a writer may make, and which writer makes it. Anything else is a bug.
TRANSITIONS: dict[tuple[CodeState, CodeState], str] = {
    (CodeState.AVAILABLE, CodeState.CLAIMED): "attach by a one-time code",
    (CodeState.AVAILABLE, CodeState.REDEEMED): "checkout with a one-time code",
    (CodeState.CLAIMED, CodeState.REDEEMED): "checkout by the learner who claimed it",
    (CodeState.AVAILABLE, CodeState.DEACTIVATED): "cap lowered, product detached, codes withdrawn",
    (CodeState.CLAIMED, CodeState.DEACTIVATED): "product detached or codes withdrawn (the member stays)",
    (CodeState.AVAILABLE, CodeState.RETIRED): "used unlimited code: terms changed or product detached",
    # A claimed one-time code that becomes unlimited (cap removed) is available to its holder's link.
    (CodeState.CLAIMED, CodeState.AVAILABLE): "cap removed: the claimed one-time code becomes unlimited",
    (CodeState.AVAILABLE, CodeState.AVAILABLE): "terms follow the contract; unlimited uses counted",
    (CodeState.CLAIMED, CodeState.CLAIMED): "terms follow the contract",
}
FINAL_STATES = frozenset({CodeState.REDEEMED, CodeState.DEACTIVATED, CodeState.RETIRED})


def transition_allowed(before: CodeState, after: CodeState) -> bool:
    """Whether a code may move from ``before`` to ``after`` (staying in a final state is no move)."""
    if before == after and before in FINAL_STATES:
        return True
    return (before, after) in TRANSITIONS


class CodeKind(StrEnum):
    ONE_TIME = "one_time"
    UNLIMITED = "unlimited"


class CodePolicy(StrEnum):
    """What a product's codes should look like."""

    CAPPED = "capped"  # N one-time codes
    UNLIMITED = "unlimited"  # one unlimited code
    WITHDRAWN = "withdrawn"  # auto + free + uncapped: no unredeemed code may remain
    UNCHANGED = "unchanged"  # auto + free + capped: no codes made or removed, terms kept current
    DETACHED = "detached"  # the product left the contract: no code may stay live


@dataclass(frozen=True)
class CodeTerms:
    """What a code grants: its kind, fixed price and validity window."""

    kind: CodeKind
    amount: Decimal
    valid_from: datetime | None
    valid_until: datetime | None


@dataclass(frozen=True)
class EnrollmentCode:
    """One code (normalized form) of one product. ``seq`` orders a product's codes by age."""

    code: str
    contract_id: int
    product_id: int
    seq: int
    kind: CodeKind
    status: CodeStatus
    amount: Decimal
    valid_from: datetime | None
    valid_until: datetime | None
    redemptions: int
    created_at: datetime
    redeemed_by: str | None = None
    redeemed_at: datetime | None = None
    claimed_by: str | None = None
    # The contract's terms version this code's terms were set under.
    terms_version: int = 0

    @property
    def state(self) -> CodeState:
        if self.status is CodeStatus.AVAILABLE:
            if self.kind is CodeKind.ONE_TIME and self.claimed_by is not None:
                return CodeState.CLAIMED
            return CodeState.AVAILABLE
        return CodeState(self.status.value)

    @property
    def is_history(self) -> bool:
        """Used at least once: its redemptions are never changed or deleted."""
        return self.status is CodeStatus.REDEEMED or self.redemptions > 0

    @property
    def is_unredeemed(self) -> bool:
        """Live and never used (claimed or not): the codes whose terms the reconciler may change."""
        return self.status is CodeStatus.AVAILABLE and self.redemptions == 0

    @property
    def is_claimed(self) -> bool:
        return self.state is CodeState.CLAIMED

    @property
    def is_used_unlimited(self) -> bool:
        """A live unlimited code that has been used: retired (not changed) when its terms go stale."""
        return (
            self.status is CodeStatus.AVAILABLE and self.kind is CodeKind.UNLIMITED and self.redemptions > 0
        )

    @property
    def terms(self) -> CodeTerms:
        return CodeTerms(self.kind, self.amount, self.valid_from, self.valid_until)

    def with_terms(self, terms: CodeTerms, terms_version: int | None = None) -> EnrollmentCode:
        return replace(
            self,
            kind=terms.kind,
            amount=terms.amount,
            valid_from=terms.valid_from,
            valid_until=terms.valid_until,
            terms_version=self.terms_version if terms_version is None else terms_version,
        )


@dataclass(frozen=True)
class ProductTarget:
    """The state a product's codes must reach."""

    product_id: int
    policy: CodePolicy
    seats: int  # N for CAPPED, else 0
    amount: Decimal
    valid_from: datetime | None
    valid_until: datetime | None
    terms_version: int = 0

    def terms(self, kind: CodeKind) -> CodeTerms:
        return CodeTerms(kind, self.amount, self.valid_from, self.valid_until)

    @property
    def new_code_terms(self) -> CodeTerms:
        return self.terms(CodeKind.ONE_TIME if self.policy is CodePolicy.CAPPED else CodeKind.UNLIMITED)


@dataclass(frozen=True)
class ProductPlan:
    """The writes that bring one product's codes to its target, in the order they are applied."""

    product_id: int
    deactivate: list[EnrollmentCode] = field(default_factory=list)  # newest first
    update: list[tuple[EnrollmentCode, CodeTerms]] = field(default_factory=list)
    create: int = 0
    new_terms: CodeTerms | None = None
    retire: list[EnrollmentCode] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return len(self.deactivate) + len(self.update) + self.create + len(self.retire)

    @property
    def is_empty(self) -> bool:
        return self.writes == 0


def contract_price(contract: Contract) -> Decimal:
    """The fixed price of a contract's codes and products: its price, or 0 when free."""
    return contract.price if contract.price is not None else Decimal(0)


def target_for(contract: Contract, product_id: int, *, attached: bool = True) -> ProductTarget:
    """The target state of one product's codes under ``contract`` (``attached=False``: detached)."""
    if not attached:
        policy = CodePolicy.DETACHED
    elif contract.needs_codes:
        policy = CodePolicy.UNLIMITED if contract.max_learners is None else CodePolicy.CAPPED
    else:
        policy = CodePolicy.WITHDRAWN if contract.max_learners is None else CodePolicy.UNCHANGED
    return ProductTarget(
        product_id=product_id,
        policy=policy,
        seats=(contract.max_learners or 0) if policy is CodePolicy.CAPPED else 0,
        amount=contract_price(contract),
        valid_from=contract.start,
        valid_until=contract.end,
        terms_version=contract.terms_version,
    )


def _newest_first(codes: Sequence[EnrollmentCode]) -> list[EnrollmentCode]:
    return sorted(codes, key=lambda c: c.seq, reverse=True)


def _stale_used_unlimited(target: ProductTarget, codes: Sequence[EnrollmentCode]) -> list[EnrollmentCode]:
    """Used unlimited codes that may not keep selling: issued under older terms, or not wanted."""
    wanted = target.terms(CodeKind.UNLIMITED)
    keeps_unlimited = target.policy in {CodePolicy.UNLIMITED, CodePolicy.UNCHANGED}
    return _newest_first(
        [
            c
            for c in codes
            if c.is_used_unlimited
            and (not keeps_unlimited or c.terms_version != target.terms_version or c.terms != wanted)
        ]
    )


def _out_of_date(code: EnrollmentCode, target: ProductTarget, wanted: CodeTerms) -> bool:
    """An unredeemed code whose terms must be rewritten: other terms, or (an unlimited code, which
    keeps selling) issued under an older terms version."""
    if code.terms != wanted:
        return True
    return code.kind is CodeKind.UNLIMITED and code.terms_version != target.terms_version


def plan_product(target: ProductTarget, codes: Sequence[EnrollmentCode]) -> ProductPlan:
    """The difference between ``codes`` (one product's, any status) and ``target``.

    Updates are written with the target's terms version (``ProductTarget.terms_version``).
    """
    unredeemed = [c for c in codes if c.is_unredeemed]
    retire = _stale_used_unlimited(target, codes)
    if target.policy in {CodePolicy.WITHDRAWN, CodePolicy.DETACHED}:
        return ProductPlan(target.product_id, deactivate=_newest_first(unredeemed), retire=retire)

    if target.policy is CodePolicy.UNCHANGED:
        updates = [
            (c, target.terms(c.kind))
            for c in _newest_first(unredeemed)
            if _out_of_date(c, target, target.terms(c.kind))
        ]
        return ProductPlan(target.product_id, update=updates, retire=retire)

    if target.policy is CodePolicy.UNLIMITED:
        wanted = target.terms(CodeKind.UNLIMITED)
        updates = [(c, wanted) for c in _newest_first(unredeemed) if _out_of_date(c, target, wanted)]
        retiring = {c.code for c in retire}
        # A used unlimited code issued under the current terms keeps serving: no new code needed.
        serving = [c for c in codes if c.is_used_unlimited and c.code not in retiring]
        missing = 0 if serving or unredeemed else 1
        return ProductPlan(target.product_id, update=updates, create=missing, new_terms=wanted, retire=retire)

    wanted = target.terms(CodeKind.ONE_TIME)
    redeemed = [c for c in codes if c.kind is CodeKind.ONE_TIME and c.status is CodeStatus.REDEEMED]
    surplus = len(redeemed) + len(unredeemed) - target.seats
    # Only codes nobody holds may go, newest first; claimed codes stay even above the cap.
    candidates = _newest_first([c for c in unredeemed if not c.is_claimed])
    deactivate = candidates[: max(0, min(surplus, len(candidates)))]
    gone = {c.code for c in deactivate}
    kept = [c for c in _newest_first(unredeemed) if c.code not in gone]
    updates = [(c, wanted) for c in kept if c.terms != wanted]
    return ProductPlan(
        target.product_id,
        deactivate=deactivate,
        update=updates,
        create=max(0, -surplus),
        new_terms=wanted,
        retire=retire,
    )


def violations(target: ProductTarget, codes: Sequence[EnrollmentCode]) -> list[str]:
    """What the planner would still change (empty when ``codes`` are reconciled by its own lights)."""
    problems: list[str] = []
    plan = plan_product(target, codes)
    if plan.deactivate:
        problems.append(f"{len(plan.deactivate)} unredeemed codes should be deactivated")
    if plan.retire:
        problems.append(f"{len(plan.retire)} used unlimited codes should be retired")
    if plan.update:
        problems.append(f"{len(plan.update)} unredeemed codes have out-of-date terms")
    if plan.create:
        problems.append(f"{plan.create} codes are missing")
    return problems


@dataclass(frozen=True)
class CodeCounts:
    """Codes of one product by status, as the counters record them or as counted from the items."""

    available: int = 0
    redeemed: int = 0
    deactivated: int = 0
    retired: int = 0


def count_codes(codes: Sequence[EnrollmentCode]) -> CodeCounts:
    """Count codes by status (what the product's counter should say)."""
    return CodeCounts(
        available=sum(c.status is CodeStatus.AVAILABLE for c in codes),
        redeemed=sum(c.status is CodeStatus.REDEEMED for c in codes),
        deactivated=sum(c.status is CodeStatus.DEACTIVATED for c in codes),
        retired=sum(c.status is CodeStatus.RETIRED for c in codes),
    )


@dataclass(frozen=True)
class CounterState:
    """A product's code counter as stored."""

    product_id: int
    available: int = 0
    redeemed: int = 0
    deactivated: int = 0
    retired: int = 0
    unlimited_uses: int = 0
    issued_seq: int = 0
