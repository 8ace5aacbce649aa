"""The reconciliation rules for enrollment codes, as pure functions (no I/O).

Given a contract, one of its products and the product's current codes, :func:`plan_product`
says what must change so the codes follow the rules; :func:`violations` says which rules the
current codes break. The reconciler applies plans; tests and the health check use both.

Rules (per product of a contract):

* codes are needed when the contract is ``code``/``managed`` or has a price;
* uncapped → an unlimited code per product; capped at N → N one-time codes per product;
* cap removed → unredeemed one-time codes become unlimited; cap lowered → surplus unredeemed
  codes are deactivated, newest first; cap raised or new product → missing codes are created;
* price or dates changed → the terms of unredeemed codes follow;
* ``auto`` + free + uncapped → every unredeemed code is deactivated (the only removal);
* a redeemed code (status ``redeemed`` or ``redemptions > 0``) is history: never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from b2b.domain.model import Contract


class CodeStatus(StrEnum):
    AVAILABLE = "available"
    REDEEMED = "redeemed"
    DEACTIVATED = "deactivated"


class CodeKind(StrEnum):
    ONE_TIME = "one_time"
    UNLIMITED = "unlimited"


class CodePolicy(StrEnum):
    """What a product's codes should look like."""

    CAPPED = "capped"  # N one-time codes
    UNLIMITED = "unlimited"  # one unlimited code
    WITHDRAWN = "withdrawn"  # auto + free + uncapped: no unredeemed code may remain
    UNCHANGED = "unchanged"  # auto + free + capped: no codes made or removed, terms kept current


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

    @property
    def is_history(self) -> bool:
        """Redeemed at least once: the reconciler never changes or deletes it."""
        return self.status is CodeStatus.REDEEMED or self.redemptions > 0

    @property
    def is_unredeemed(self) -> bool:
        """Live and never used: the only codes the reconciler may change."""
        return self.status is CodeStatus.AVAILABLE and self.redemptions == 0

    @property
    def terms(self) -> CodeTerms:
        return CodeTerms(self.kind, self.amount, self.valid_from, self.valid_until)

    def with_terms(self, terms: CodeTerms) -> EnrollmentCode:
        return replace(
            self,
            kind=terms.kind,
            amount=terms.amount,
            valid_from=terms.valid_from,
            valid_until=terms.valid_until,
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

    @property
    def writes(self) -> int:
        return len(self.deactivate) + len(self.update) + self.create

    @property
    def is_empty(self) -> bool:
        return self.writes == 0


def contract_price(contract: Contract) -> Decimal:
    """The fixed price of a contract's codes and products: its price, or 0 when free."""
    return contract.price if contract.price is not None else Decimal(0)


def target_for(contract: Contract, product_id: int) -> ProductTarget:
    """The target state of one product's codes under ``contract``."""
    if contract.needs_codes:
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
    )


def _newest_first(codes: Sequence[EnrollmentCode]) -> list[EnrollmentCode]:
    return sorted(codes, key=lambda c: c.seq, reverse=True)


def _capped_pool(codes: Sequence[EnrollmentCode]) -> tuple[list[EnrollmentCode], list[EnrollmentCode]]:
    """(one-time codes already redeemed, unredeemed codes): together, the codes counting toward N.

    An unlimited code that was used stays as it is (history) and does not count toward the cap.
    """
    redeemed = [c for c in codes if c.kind is CodeKind.ONE_TIME and c.status is CodeStatus.REDEEMED]
    unredeemed = [c for c in codes if c.is_unredeemed]
    return redeemed, unredeemed


def plan_product(target: ProductTarget, codes: Sequence[EnrollmentCode]) -> ProductPlan:
    """The difference between ``codes`` (one product's, any status) and ``target``."""
    unredeemed = [c for c in codes if c.is_unredeemed]
    if target.policy is CodePolicy.WITHDRAWN:
        return ProductPlan(target.product_id, deactivate=_newest_first(unredeemed))

    if target.policy is CodePolicy.UNCHANGED:
        updates = [
            (c, target.terms(c.kind)) for c in _newest_first(unredeemed) if c.terms != target.terms(c.kind)
        ]
        return ProductPlan(target.product_id, update=updates)

    if target.policy is CodePolicy.UNLIMITED:
        wanted = target.terms(CodeKind.UNLIMITED)
        updates = [(c, wanted) for c in _newest_first(unredeemed) if c.terms != wanted]
        # A used unlimited code keeps working, but only one with the current terms satisfies the
        # target (a used code's price can never follow a price change).
        usable = [
            c
            for c in codes
            if c.status is CodeStatus.AVAILABLE and c.kind is CodeKind.UNLIMITED and c.terms == wanted
        ]
        missing = 0 if usable or unredeemed else 1
        return ProductPlan(target.product_id, update=updates, create=missing, new_terms=wanted)

    wanted = target.terms(CodeKind.ONE_TIME)
    redeemed, live = _capped_pool(codes)
    surplus = len(redeemed) + len(live) - target.seats
    ordered = _newest_first(live)
    deactivate = ordered[: max(0, min(surplus, len(ordered)))]
    kept = ordered[len(deactivate) :]
    updates = [(c, wanted) for c in kept if c.terms != wanted]
    return ProductPlan(
        target.product_id,
        deactivate=deactivate,
        update=updates,
        create=max(0, -surplus),
        new_terms=wanted,
    )


def violations(target: ProductTarget, codes: Sequence[EnrollmentCode]) -> list[str]:
    """The rules ``codes`` break under ``target`` (empty when reconciled)."""
    problems: list[str] = []
    plan = plan_product(target, codes)
    if plan.deactivate:
        problems.append(f"{len(plan.deactivate)} unredeemed codes should be deactivated")
    if plan.update:
        problems.append(f"{len(plan.update)} unredeemed codes have out-of-date terms")
    if plan.create:
        problems.append(f"{plan.create} codes are missing")
    codes_by_value = {}
    for code in codes:
        if code.code in codes_by_value:
            problems.append(f"code …{code.code[-4:]} appears twice")
        codes_by_value[code.code] = code
        if code.status is CodeStatus.REDEEMED and code.redemptions == 0:
            problems.append(f"code …{code.code[-4:]} is redeemed without a redemption")
    return problems


@dataclass(frozen=True)
class CodeCounts:
    """Codes of one product by status, as the counters record them or as counted from the items."""

    available: int = 0
    redeemed: int = 0
    deactivated: int = 0


def count_codes(codes: Sequence[EnrollmentCode]) -> CodeCounts:
    """Count codes by status (what the product's counter should say)."""
    return CodeCounts(
        available=sum(c.status is CodeStatus.AVAILABLE for c in codes),
        redeemed=sum(c.status is CodeStatus.REDEEMED for c in codes),
        deactivated=sum(c.status is CodeStatus.DEACTIVATED for c in codes),
    )


@dataclass(frozen=True)
class CounterState:
    """A product's code counter as stored."""

    product_id: int
    available: int = 0
    redeemed: int = 0
    deactivated: int = 0
    unlimited_uses: int = 0
    issued_seq: int = 0
