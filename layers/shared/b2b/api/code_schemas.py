"""Response bodies of the enrollment-code admin routes (codes, stats, health)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

from b2b.api.base import Schema
from b2b.domain.code_format import display
from b2b.domain.reconcile import CodeCounts, CodeKind, CodeStatus, CounterState, EnrollmentCode
from b2b.queues import ReconcileRequest
from b2b.services.codes import CodeHealth, ContractStats

Amount = Annotated[Decimal, PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json")]


class CodeOut(Schema):
    code: str
    product_id: int
    kind: CodeKind
    status: CodeStatus
    amount: Amount
    payment_type: str = "sales"
    bulk: bool = True
    valid_from: datetime | None
    valid_until: datetime | None
    redemptions: int
    redeemed_by: str | None
    redeemed_at: datetime | None
    claimed_by: str | None = None
    terms_version: int = 0
    created_at: datetime

    @classmethod
    def of(cls, code: EnrollmentCode) -> CodeOut:
        return cls(
            code=display(code.code),
            product_id=code.product_id,
            kind=code.kind,
            status=code.status,
            amount=code.amount,
            valid_from=code.valid_from,
            valid_until=code.valid_until,
            redemptions=code.redemptions,
            redeemed_by=code.redeemed_by,
            redeemed_at=code.redeemed_at,
            claimed_by=code.claimed_by,
            terms_version=code.terms_version,
            created_at=code.created_at,
        )


class CodeCountsOut(Schema):
    available: int
    redeemed: int
    deactivated: int
    retired: int = 0

    @classmethod
    def of(cls, counts: CodeCounts) -> CodeCountsOut:
        return cls(
            available=counts.available,
            redeemed=counts.redeemed,
            deactivated=counts.deactivated,
            retired=counts.retired,
        )


class ProductCodeStats(Schema):
    product_id: int
    available: int
    redeemed: int
    deactivated: int
    retired: int = 0
    unlimited_uses: int

    @classmethod
    def of(cls, counter: CounterState) -> ProductCodeStats:
        return cls(
            product_id=counter.product_id,
            available=counter.available,
            redeemed=counter.redeemed,
            deactivated=counter.deactivated,
            retired=counter.retired,
            unlimited_uses=counter.unlimited_uses,
        )


class ContractStatsOut(Schema):
    contract_id: int
    seats_taken: int
    max_learners: int | None
    codes: CodeCountsOut
    products: list[ProductCodeStats]

    @classmethod
    def of(cls, stats: ContractStats) -> ContractStatsOut:
        return cls(
            contract_id=stats.contract.id,
            seats_taken=stats.seats_taken,
            max_learners=stats.contract.max_learners,
            codes=CodeCountsOut.of(stats.totals),
            products=[ProductCodeStats.of(p) for p in stats.products],
        )


class ProductHealthOut(Schema):
    product_id: int
    counted: CodeCountsOut
    actual: CodeCountsOut
    uncounted: int
    missing: int = Field(description="codes the contract's terms ask for that do not exist yet")
    problems: list[str]


class CodeHealthOut(Schema):
    contract_id: int
    healthy: bool
    missing: int = Field(description="codes still to be made, over all products (0 when reconciled)")
    products: list[ProductHealthOut]

    @classmethod
    def of(cls, health: CodeHealth) -> CodeHealthOut:
        return cls(
            contract_id=health.contract_id,
            healthy=health.healthy,
            missing=sum(p.missing for p in health.products),
            products=[
                ProductHealthOut(
                    product_id=p.product_id,
                    counted=CodeCountsOut.of(p.counted),
                    actual=CodeCountsOut.of(p.actual),
                    uncounted=p.uncounted,
                    missing=p.missing,
                    problems=p.problems,
                )
                for p in health.products
            ],
        )


class ReconcileQueuedOut(Schema):
    """A reconcile request was queued (the reconciler applies it within seconds)."""

    contract_id: int
    reason: str
    change_id: str
    status: str = "queued"

    @classmethod
    def of(cls, request: ReconcileRequest) -> ReconcileQueuedOut:
        return cls(contract_id=request.contract_id, reason=request.reason, change_id=request.change_id)
