"""Default enrollments: intentions per contract, realized once per learner when they are attached.

An intention names a course (realized in the contract's current run of it: the newest open run
among the contract's products) or one specific run. A run that cannot be enrolled in (closed, not
started, not part of the contract) is skipped and reported, never silently dropped. A realization
is written once: a learner who unenrolls afterwards is not enrolled again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from b2b.db import default_enrollments as repo
from b2b.db import enrollments as enrollment_repo
from b2b.db import products as product_repo
from b2b.db.contracts import get_contract
from b2b.db.memberships import list_contracts_of_learner
from b2b.domain.enrollments import (
    DefaultEnrollmentIntention,
    DefaultEnrollmentRealization,
    Enrollment,
    IntentionKind,
)
from b2b.domain.model import Page, Product, utcnow
from b2b.observability import logger, metrics

NotEnrollableReason = Literal["not_in_contract", "run_closed", "run_not_started", "run_inactive"]
_MESSAGES: dict[str, str] = {
    "not_in_contract": "the contract has no run of this content",
    "run_closed": "the run has ended",
    "run_not_started": "the run has not started yet",
    "run_inactive": "the run's product is inactive",
}


@dataclass(frozen=True)
class RunChoice:
    """The run an intention enrolls a learner in."""

    run_id: str
    product_id: int


@dataclass(frozen=True)
class NotEnrollable:
    reason: NotEnrollableReason

    @property
    def message(self) -> str:
        return _MESSAGES[self.reason]


def _run_state(product: Product, now: datetime) -> NotEnrollableReason | None:
    if not product.active:
        return "run_inactive"
    if product.run_start is not None and now < product.run_start:
        return "run_not_started"
    if product.run_end is not None and now >= product.run_end:
        return "run_closed"
    return None


def resolve_run(
    intention: DefaultEnrollmentIntention, products: Iterable[Product], now: datetime
) -> RunChoice | NotEnrollable:
    """The run ``intention`` enrolls in, among the contract's ``products``, or why there is none."""
    if intention.kind == "run":
        candidates = [p for p in products if p.run_id == intention.content_key]
    else:
        candidates = [p for p in products if p.course_id == intention.content_key]
    if not candidates:
        return NotEnrollable("not_in_contract")
    open_runs = [p for p in candidates if _run_state(p, now) is None]
    if not open_runs:
        # Report the state of the most recent candidate: that is the one a learner would expect.
        latest = max(candidates, key=_recency)
        return NotEnrollable(_run_state(latest, now) or "run_closed")
    current = max(open_runs, key=_recency)
    return RunChoice(run_id=current.run_id, product_id=current.id)


def _recency(product: Product) -> tuple[float, int]:
    start = product.run_start.timestamp() if product.run_start is not None else float("-inf")
    return (start, product.id)


# --- admin -------------------------------------------------------------------------------------


def add_intention(contract_id: int, kind: IntentionKind, content_key: str) -> DefaultEnrollmentIntention:
    """Configure a default enrollment for a contract (409 when the content key is there already)."""
    return repo.create_intention(
        DefaultEnrollmentIntention(
            id=0, contract_id=contract_id, kind=kind, content_key=content_key, created_at=utcnow()
        )
    )


def list_intentions(contract_id: int, limit: int, cursor: str | None) -> Page[DefaultEnrollmentIntention]:
    get_contract(contract_id)  # 404 for an unknown contract rather than an empty list
    return repo.list_intentions_page(contract_id, limit, cursor)


def remove_intention(contract_id: int, intention_id: int) -> None:
    repo.delete_intention(repo.get_intention(contract_id, intention_id))


# --- realization -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RealizationResult:
    contract_id: int
    intention_id: int
    outcome: Literal["enrolled", "already_realized", "already_enrolled", "skipped"]
    run_id: str | None = None
    reason: NotEnrollableReason | None = None


def realize_for_learner(
    user_id: str, contract_id: int, now: datetime | None = None
) -> list[RealizationResult]:
    """Realize every intention of a contract for a learner attached to it.

    One Query for the intentions (nothing more when there are none), one for the contract's
    products, then one transaction per intention not realized yet.
    """
    now = now or utcnow()
    intentions = repo.list_intentions(contract_id)
    if not intentions:
        return []
    products = product_repo.list_products(contract_id)
    results = []
    for intention in intentions:
        choice = resolve_run(intention, products, now)
        if isinstance(choice, NotEnrollable):
            logger.warning(
                "default enrollment skipped",
                extra={
                    "user_id": user_id,
                    "contract_id": contract_id,
                    "intention_id": intention.id,
                    "content_key": intention.content_key,
                    "reason": choice.reason,
                },
            )
            metrics.add_metric(name="DefaultEnrollmentSkipped", unit="Count", value=1)
            results.append(RealizationResult(contract_id, intention.id, "skipped", reason=choice.reason))
            continue
        outcome = repo.realize(
            DefaultEnrollmentRealization(
                user_id=user_id,
                contract_id=contract_id,
                intention_id=intention.id,
                run_id=choice.run_id,
                enrollment_existed=False,
                realized_at=now,
            ),
            Enrollment(
                user_id=user_id,
                run_id=choice.run_id,
                contract_id=contract_id,
                product_id=choice.product_id,
                source="default_enrollment",
                status="active",
                enrolled_at=now,
            ),
        )
        if outcome == "enrolled":
            metrics.add_metric(name="DefaultEnrollmentRealized", unit="Count", value=1)
        results.append(RealizationResult(contract_id, intention.id, outcome, run_id=choice.run_id))
    return results


def realize_for_contracts(user_id: str, contract_ids: Iterable[int]) -> list[RealizationResult]:
    """:func:`realize_for_learner` for each contract."""
    now = utcnow()
    results: list[RealizationResult] = []
    for contract_id in contract_ids:
        results += realize_for_learner(user_id, contract_id, now)
    return results


# --- learner status ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IntentionStatus:
    contract_id: int
    intention_id: int
    kind: IntentionKind
    content_key: str
    run_id: str | None
    enrollment_status: str | None = None
    reason: NotEnrollableReason | None = None
    message: str | None = None


@dataclass(frozen=True)
class LearnerDefaultEnrollments:
    already_enrolled: list[IntentionStatus]
    enrollable: list[IntentionStatus]
    not_enrollable: list[IntentionStatus]


def _memberships_of(user_id: str) -> list[int]:
    contract_ids: list[int] = []
    cursor: str | None = None
    while True:
        page = list_contracts_of_learner(user_id, 100, cursor)
        contract_ids += [m.contract_id for m in page.items]
        cursor = page.next_cursor
        if not cursor:
            return contract_ids


def learner_status(user_id: str) -> LearnerDefaultEnrollments:
    """Where each default enrollment of the learner's contracts stands for them."""
    now = utcnow()
    realized = {(r.contract_id, r.intention_id): r for r in repo.list_realizations(user_id)}
    enrollments = {e.run_id: e for e in enrollment_repo.all_enrollments(user_id)}
    status = LearnerDefaultEnrollments([], [], [])
    for contract_id in _memberships_of(user_id):
        intentions = repo.list_intentions(contract_id)
        if not intentions:
            continue
        products = product_repo.list_products(contract_id)
        for intention in intentions:
            base = IntentionStatus(contract_id, intention.id, intention.kind, intention.content_key, None)
            realization = realized.get((contract_id, intention.id))
            run_id = realization.run_id if realization else None
            if run_id is None:
                choice = resolve_run(intention, products, now)
                if isinstance(choice, NotEnrollable):
                    status.not_enrollable.append(replace(base, reason=choice.reason, message=choice.message))
                    continue
                run_id = choice.run_id
            enrollment = enrollments.get(run_id)
            if enrollment is not None:
                status.already_enrolled.append(
                    replace(base, run_id=run_id, enrollment_status=enrollment.status)
                )
            else:
                status.enrollable.append(replace(base, run_id=run_id))
    return status
