"""Checkout services: validate a basket, complete it exactly once, attach a learner by code.

The rules (pricing, reasons) are in :mod:`b2b.domain.checkout_rules`; this module reads, decides and
writes. Completing re-reads everything and writes one transaction. When that transaction is
cancelled by a concurrent change (another learner took the code or the last seat, the same request
ran twice, the contract's terms changed), the flow runs again on fresh, strongly consistent reads,
so the loser answers with the reason the new state shows (``code_already_used``, ``contract_full``,
the new price, the stored first response...) rather than guessing it from the cancellation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from b2b.db import checkout as table_store
from b2b.db import retry
from b2b.db.checkout import CheckoutCollided
from b2b.domain import code_format
from b2b.domain.checkout_rules import (
    MESSAGES,
    AttachPlan,
    CheckoutPlan,
    CheckoutState,
    Quote,
    Reason,
    StoredResult,
    attach_refusal,
    check_throttle,
    conceal,
    probes_unknown_products,
    quote,
    quote_view,
    rejection,
    request_hash,
)
from b2b.domain.errors import Conflict, ErrorDetail, InvalidInput, Throttled
from b2b.domain.model import Contract, Membership, utcnow
from b2b.domain.orders import SeatHolds
from b2b.observability import logger, metrics
from b2b.services import orders
from b2b.settings import get_settings


class CheckoutStore(Protocol):
    """What checkout reads and writes. The module :mod:`b2b.db.checkout` is the real store; unit tests
    put an in-memory fake in :data:`repo`."""

    CheckoutCollided: type[CheckoutCollided]

    def load_state(
        self,
        *,
        user_id: str,
        product_ids: list[int],
        code: str | None,
        sso_claim: str | None,
        now: datetime,
        window_seconds: int,
        idempotency_key: str | None = None,
        extra_contract_ids: Iterable[int] = (),
        extra_product_ids: Iterable[int] = (),
    ) -> CheckoutState: ...

    def record_failed_attempt(self, user_id: str, now: datetime, window_seconds: int, limit: int) -> bool: ...

    def get_stored_result(self, user_id: str, idempotency_key: str) -> StoredResult | None: ...

    def commit_checkout(self, plan: CheckoutPlan) -> None: ...

    def commit_attach(self, plan: AttachPlan) -> None: ...


repo: CheckoutStore = table_store


def _nothing(_plan: CheckoutPlan | AttachPlan) -> None:
    return None


# Called between judging and writing (a test sets it to commit a concurrent change right there).
between_read_and_write: Callable[[CheckoutPlan | AttachPlan], None] = _nothing


@dataclass(frozen=True)
class Learner:
    """The signed-in learner: token ``sub`` and the SSO organization claim, if any."""

    user_id: str
    sso_claim: str | None
    # Recorded on the enrollment: the LMS sync finds the learner's LMS account by it.
    email: str | None = None


@dataclass(frozen=True)
class CheckoutOutcome:
    """What a complete did: its receipt (completed, or payment required), and whether it is the
    stored receipt of an earlier identical request (a replay answers exactly as the first time)."""

    receipt: dict[str, Any]
    replayed: bool = False


def _normalized(code_text: str | None) -> tuple[str | None, bool]:
    """(normalized code, whether something was typed). Text that cannot be a code reads as unknown."""
    if code_text is None or not code_text.strip():
        return None, False
    return code_format.normalize(code_text), True


_IMPOSSIBLE_CODE = "0" * code_format.LENGTH  # never generated in practice; reads as an unknown code


def _load(
    learner: Learner,
    product_ids: list[int],
    code: str | None,
    typed: bool,
    idempotency_key: str | None = None,
) -> CheckoutState:
    settings = get_settings()
    return repo.load_state(
        user_id=learner.user_id,
        product_ids=product_ids,
        # Malformed text still reads the attempt window, and judges as an unknown code.
        code=code if code is not None else (_IMPOSSIBLE_CODE if typed else None),
        sso_claim=learner.sso_claim,
        now=utcnow(),
        window_seconds=settings.code_attempt_window_seconds,
        idempotency_key=idempotency_key,
    )


def _retry_after(now: datetime) -> int:
    """Seconds until the current failed-attempt window ends."""
    window = get_settings().code_attempt_window_seconds
    return max(1, window - int(now.timestamp()) % window)


def _throttle(state: CheckoutState, now: datetime) -> None:
    try:
        check_throttle(state, get_settings().code_attempt_limit, _retry_after(now))
    except Throttled:
        logger.info("code attempts throttled", extra={"failed_attempts": state.failed_attempts})
        raise


def _count_failed_attempt(learner: Learner, now: datetime) -> None:
    """Count a wrong code; past the limit the answer becomes 429."""
    settings = get_settings()
    counted = repo.record_failed_attempt(
        learner.user_id, now, settings.code_attempt_window_seconds, settings.code_attempt_limit
    )
    metrics.add_metric(name="CodeAttemptsFailed", unit=MetricUnit.Count, value=1)
    if not counted:
        raise Throttled(
            "too many wrong enrollment codes; wait before trying again",
            code="too_many_code_attempts",
            retry_after_seconds=_retry_after(now),
        )


def _check_basket(product_ids: list[int]) -> None:
    if not product_ids:
        raise InvalidInput.for_field("product_ids", "must name at least one product")


def validate(learner: Learner, product_ids: list[int], code_text: str | None) -> dict[str, Any]:
    """Quote a basket for the learner with the code: per line prices and reasons, total, payment."""
    _check_basket(product_ids)
    code, typed = _normalized(code_text)
    now = utcnow()
    state = _load(learner, product_ids, code, typed)
    _throttle(state, now)
    result = quote(product_ids, state, now, code_given=typed)
    shown = conceal(result, state, now)
    _report(result, "validate", code_text)
    if result.failed_code_attempt or probes_unknown_products(shown):
        _count_failed_attempt(learner, now)
    return quote_view(shown)


def _report(result: Quote, action: str, code_text: str | None) -> None:
    reasons = sorted({r.value for line in result.lines for r in line.reasons})
    for reason in reasons:
        metrics.add_metric(name=f"CheckoutRejected_{reason}", unit=MetricUnit.Count, value=1)
    logger.info(
        f"checkout {action}",
        extra={"code": code_format.masked(code_text or ""), "valid": result.valid, "reasons": reasons},
    )


def _rejected(result: Quote) -> Exception:
    _, line = result.first_failure()
    details = [
        ErrorDetail(f"product_ids[{i}]", f"{', '.join(r.value for r in ln.reasons)}: {ln.message}")
        for i, ln in enumerate(result.lines)
        if not ln.valid
    ]
    return rejection(line.reasons[0], line.message, details)


def complete(  # noqa: C901 - one decision loop (replay, throttle, quote, commit, retry), read top to bottom
    learner: Learner,
    product_ids: list[int],
    code_text: str | None,
    order_reference: str | None,
    idempotency_key: str | None,
) -> CheckoutOutcome:
    """Re-check the basket and, for a $0 total, redeem + attach + enroll in one transaction.

    A member of the product's contract needs no code. A priced total (the contract's price for a
    member, or the code's) opens an order in ``pending_payment`` that holds the seat and the code. A retry
    with the same Idempotency-Key gets the stored first answer; another body with that key is refused.
    """
    _check_basket(product_ids)
    code, typed = _normalized(code_text)
    fingerprint = request_hash(product_ids, code, order_reference)
    for attempt in range(retry.ATTEMPTS):
        now = utcnow()
        state = _load(learner, product_ids, code, typed, idempotency_key)
        if state.stored_result is not None:
            if state.stored_result.request_hash != fingerprint:
                raise Conflict(
                    "this Idempotency-Key was used for another checkout", code="idempotency_key_reused"
                )
            metrics.add_metric(name="CheckoutReplayed", unit=MetricUnit.Count, value=1)
            return CheckoutOutcome(state.stored_result.receipt, replayed=True)
        _throttle(state, now)
        result = quote(product_ids, state, now, code_given=typed)
        if not result.valid and idempotency_key is not None:
            # A batch read is not a snapshot: it can show the enrollment of a concurrent request with
            # the same key before that request's stored answer. Look for the answer once more.
            replay = repo.get_stored_result(learner.user_id, idempotency_key)
            if replay is not None and replay.request_hash == fingerprint:
                metrics.add_metric(name="CheckoutReplayed", unit=MetricUnit.Count, value=1)
                return CheckoutOutcome(replay.receipt, replayed=True)
        _report(result, "complete", code_text)
        if not result.valid:
            shown = conceal(result, state, now)
            if result.failed_code_attempt or probes_unknown_products(shown):
                _count_failed_attempt(learner, now)
            raise _rejected(shown)
        line = result.lines[0]
        assert line.product is not None
        if result.requires_payment:
            # A priced basket opens an order that holds the seat and the code while the learner
            # pays; the storefront's payment confirmation fulfils it (b2b.services.orders).
            receipt = orders.open_for_checkout(
                learner.user_id,
                result,
                state,
                now=now,
                order_reference=order_reference,
                idempotency_key=idempotency_key,
                request_hash=fingerprint,
            )
            if receipt is None:
                continue
            return CheckoutOutcome(receipt)
        contract = state.contracts[line.product.contract_id]
        attach = None
        if contract.id not in state.member_of:
            attach = Membership(
                contract_id=contract.id,
                user_id=learner.user_id,
                source="code",
                code=state.code.code if state.code is not None else None,
                attached_at=now,
            )
        body = {
            "status": "completed",
            "order_reference": order_reference,
            **quote_view(result),
            "enrollment": {
                "run_id": line.product.run_id,
                "product_id": line.product.id,
                "contract_id": contract.id,
                "enrolled_at": now.isoformat(),
            },
            "attached": attach is not None,
        }
        plan = CheckoutPlan(
            user_id=learner.user_id,
            product=line.product,
            contract=contract,
            code=state.code if line.code_applies else None,
            attach=attach,
            now=now,
            order_reference=order_reference,
            idempotency_key=idempotency_key,
            request_hash=fingerprint,
            receipt=body,
            ended_enrollment=state.ended_enrollments.get(line.product.run_id),
            seats=_counter(state, contract.id),
            email=learner.email,
        )
        between_read_and_write(plan)
        try:
            repo.commit_checkout(plan)
        except repo.CheckoutCollided as collided:
            logger.info("checkout collided; deciding again", extra={"failed": sorted(collided.failed)})
            _pause_after(collided, attempt)
            continue
        if plan.code is not None:
            metrics.add_metric(name="CodesRedeemed", unit=MetricUnit.Count, value=1)
        if attach is not None:
            metrics.add_metric(name="SeatsTaken", unit=MetricUnit.Count, value=1)
        logger.info(
            "checkout completed",
            extra={
                "code": code_format.masked(plan.code.code) if plan.code is not None else None,
                "contract_id": contract.id,
                "run_id": line.product.run_id,
            },
        )
        return CheckoutOutcome(body)
    raise Conflict("the checkout kept colliding with other changes; retry", code="checkout_busy")


AttachOutcome = Literal["attached", "already_attached"]


def attach_by_code(learner: Learner, code_text: str) -> tuple[AttachOutcome, Contract]:
    """Attach the learner to the contract of a code, without enrolling and without using the code up.

    The code must be usable (a one-time code stays available for the learner's checkout); a learner
    already attached takes no new seat.
    """
    code, _typed = _normalized(code_text)
    lookup = code if code is not None else _IMPOSSIBLE_CODE
    settings = get_settings()
    for attempt in range(retry.ATTEMPTS):
        now = utcnow()
        first = repo.load_state(
            user_id=learner.user_id,
            product_ids=[],
            code=lookup,
            sso_claim=None,
            now=now,
            window_seconds=settings.code_attempt_window_seconds,
        )
        _throttle(first, now)
        found = first.code
        state = first
        if found is not None:
            state = repo.load_state(
                user_id=learner.user_id,
                product_ids=[],
                code=None,
                sso_claim=learner.sso_claim,
                now=now,
                window_seconds=settings.code_attempt_window_seconds,
                extra_contract_ids=[found.contract_id],
                extra_product_ids=[found.product_id],
            )
        contract = state.contracts.get(found.contract_id) if found is not None else None
        product = state.products.get(found.product_id) if found is not None else None
        if product is None or not product.active:
            contract = None  # a detached product's code attaches no one (reads as invalid)
        reason = attach_refusal(found, contract, state.sso_organization, now)
        if reason is Reason.CODE_INVALID:
            metrics.add_metric(name=f"CheckoutRejected_{reason.value}", unit=MetricUnit.Count, value=1)
            if found is None or not found.held_by_learner:
                _count_failed_attempt(learner, now)
            raise rejection(reason, "This enrollment code is not valid.")
        assert found is not None
        assert contract is not None
        if reason is not None:
            metrics.add_metric(name=f"CheckoutRejected_{reason.value}", unit=MetricUnit.Count, value=1)
            raise rejection(reason, _attach_message(reason))
        if contract.id in state.member_of:
            return "already_attached", contract
        if not state.seats.get(contract.id) or not state.seats[contract.id].has_room:
            metrics.add_metric(name="CheckoutRejected_contract_full", unit=MetricUnit.Count, value=1)
            raise rejection(Reason.CONTRACT_FULL, _attach_message(Reason.CONTRACT_FULL))
        membership = Membership(
            contract_id=contract.id, user_id=learner.user_id, source="code", code=found.code, attached_at=now
        )
        attach_plan = AttachPlan(
            user_id=learner.user_id,
            code=found,
            membership=membership,
            now=now,
            contract=contract,
            seats=_counter(state, contract.id),
        )
        between_read_and_write(attach_plan)
        try:
            repo.commit_attach(attach_plan)
        except repo.CheckoutCollided as collided:
            _pause_after(collided, attempt)
            continue
        metrics.add_metric(name="SeatsTaken", unit=MetricUnit.Count, value=1)
        logger.info(
            "attached by code", extra={"code": code_format.masked(found.code), "contract_id": contract.id}
        )
        return "attached", contract
    raise Conflict("attaching kept colliding with other changes; retry", code="checkout_busy")


def _counter(state: CheckoutState, contract_id: int) -> SeatHolds | None:
    """The seat counter as the checkout read it (its seat write is fenced on that read)."""
    seats = state.seats.get(contract_id)
    return seats.counter if seats is not None else None


def _pause_after(collided: CheckoutCollided, attempt: int) -> None:
    """A short, jittered pause when DynamoDB reported a transaction conflict (not a failed condition)."""
    if collided.conflicted:
        retry.pause(attempt)


def _attach_message(reason: Reason) -> str:
    return MESSAGES[reason]
