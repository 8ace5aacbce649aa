"""Orders of priced checkouts: open with holds, confirm a payment, cancel, expire, refund, list.

The rules are in :mod:`b2b.domain.orders`, the transactions in :mod:`b2b.db.orders`. Each use case
reads, decides and writes one transaction; when a concurrent change cancels it, it reads again and
decides again. Every order event goes out through :func:`emit` (one place, so that events can later
move onto an outbox without touching the use cases).
"""

from __future__ import annotations

import random
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from b2b import stripe_gateway
from b2b.db import memberships
from b2b.db import orders as repo
from b2b.domain.checkout_rules import (
    MESSAGES,
    CheckoutCode,
    CheckoutState,
    Quote,
    Reason,
    quote_view,
    rejection,
)
from b2b.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from b2b.domain.model import Page, utcnow
from b2b.domain.orders import (
    Order,
    OrderEvent,
    OrderState,
    check_cancellable,
    check_refundable,
    hold_until,
    minor_units,
    order_view,
    parse_amount,
    payment_step,
    unfulfillable_reason,
)
from b2b.observability import logger, metrics
from b2b.settings import get_settings

_ATTEMPTS = 6
# Racing learners bump the holds version one at a time; each retry reads the counter again.
_HOLD_ATTEMPTS = 30
_jitter = random.Random()  # noqa: S311 - timing jitter, not security


def emit(event: OrderEvent, order: Order, **details: Any) -> None:
    """Publish an order event: a structured log line and a business metric per event kind.

    An unfulfillable paid order is also the ``OrdersPaidUnfulfillable`` metric the alarm watches.
    """
    metric = "OrdersPaidUnfulfillable" if event == "unfulfillable" else f"Order{event.capitalize()}"
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    logger.info(
        f"order {event}",
        extra={
            "event": f"order.{event}",
            "order_id": order.id,
            "contract_id": order.contract_id,
            "product_id": order.product_id,
            "amount": str(order.amount),
            "currency": order.currency,
            **details,
        },
    )


# --- opening (called by checkout's priced branch) ------------------------------------------


def open_for_checkout(
    user_id: str,
    result: Quote,
    state: CheckoutState,
    *,
    now: datetime,
    order_reference: str | None,
    idempotency_key: str | None,
    request_hash: str,
) -> dict[str, Any] | None:
    """Open a ``pending_payment`` order for a valid priced basket, holding its seat and code.

    A member of the contract may check out its run without a code, at the contract's price: the
    order then reserves no code (fulfilment redeems none) and holds no seat (the member has one).
    The order records the contract's terms version it was priced at.

    Returns the checkout receipt, or None when a concurrent change cancelled the transaction
    (the checkout reads again and decides again). A learner who already has a live pending order
    for the contract gets that order back.
    """
    settings = get_settings()
    line = result.lines[0]
    assert line.product is not None
    contract = state.contracts[line.product.contract_id]
    new_member = contract.id not in state.member_of
    code = state.code if state.code is not None and line.code_applies else None
    if code is None and new_member:
        # The quote accepts a priced basket without a code only for a member.
        raise rejection(Reason.CODE_REQUIRED, MESSAGES[Reason.CODE_REQUIRED])
    order_id = repo.new_order_id()
    read = state.seats.get(contract.id)
    seats = read.counter if read is not None else None  # the checkout's read first, then fresh ones
    for attempt in range(_HOLD_ATTEMPTS):
        if attempt > 0 and new_member:
            seats = memberships.read_seats(contract.id)
        holds_seat = new_member and seats is not None and seats.cap is not None
        if holds_seat and seats is not None and not seats.room_for_one(now, excluding_user=user_id):
            existing = repo.pending_order_id(user_id, contract.id, now)
            if existing is not None:
                return _existing_receipt(existing, line.product.id, code, result, now)
            metrics.add_metric(name="CheckoutRejected_contract_full", unit=MetricUnit.Count, value=1)
            raise rejection(Reason.CONTRACT_FULL, MESSAGES[Reason.CONTRACT_FULL])
        order = Order(
            id=order_id,
            user_id=user_id,
            contract_id=contract.id,
            product_id=line.product.id,
            run_id=line.product.run_id,
            code=code.code if code is not None else None,
            code_kind=code.kind if code is not None else None,
            amount=result.total,
            currency=settings.order_currency,
            state=OrderState.PENDING_PAYMENT,
            holds_seat=holds_seat,
            created_at=now,
            hold_until=hold_until(now, settings.order_hold_seconds),
            order_reference=order_reference,
            terms_version=contract.terms_version,
        )
        receipt = _receipt(order, result, now)
        record = (
            repo.IdempotencyRecord(idempotency_key, request_hash, receipt, settings.idempotency_ttl_seconds)
            if idempotency_key is not None
            else None
        )
        try:
            repo.open_order(order, seats if holds_seat else None, now, record)
        except repo.OrderCollided as collided:
            logger.info("order collided", extra={"failed": sorted(collided.failed)})
            if "pending" in collided.failed:
                existing = repo.pending_order_id(user_id, contract.id, now)
                if existing is not None:
                    return _existing_receipt(existing, line.product.id, code, result, now)
            if collided.failed <= {"seat"}:
                _pause(collided.conflicted)
                continue  # the holds moved: read the counter again
            return None  # something else changed: the checkout reads everything again
        emit("created", order, holds_seat=holds_seat, hold_until=order.hold_until)
        return receipt
    return None


def _pause(conflicted: bool) -> None:
    if conflicted:
        time.sleep(_jitter.uniform(0.005, 0.02))


def _receipt(order: Order, result: Quote, now: datetime) -> dict[str, Any]:
    return {
        "status": "pending_payment",
        "order_reference": order.order_reference,
        **quote_view(result),
        "order": order_view(order, now),
    }


def _existing_receipt(
    order_id: str, product_id: int, code: CheckoutCode | None, result: Quote, now: datetime
) -> dict[str, Any]:
    existing = repo.get_order(order_id)
    if existing.product_id != product_id or existing.code != (code.code if code is not None else None):
        raise Conflict(
            "you already have an order waiting for payment in this contract; pay or cancel it first",
            code="pending_order_exists",
        )
    return _receipt(existing, result, now)


# --- reading ----------------------------------------------------------------------------------


def get_order(order_id: str, *, user_id: str | None = None) -> Order:
    """An order; with ``user_id``, only that learner's (another learner's reads as unknown)."""
    order = repo.get_order(order_id)
    if user_id is not None and order.user_id != user_id:
        raise NotFound(f"order {order_id} does not exist", code="order_not_found")
    return order


def view(order: Order) -> dict[str, Any]:
    return order_view(order, utcnow())


def list_mine(user_id: str, limit: int, cursor: str | None, state: str | None = None) -> Page[Order]:
    page = repo.list_for_user(user_id, limit, cursor)
    if state is None:
        return page
    wanted = _state(state)
    return Page([o for o in page.items if o.state is wanted], page.next_cursor)


def list_by_state(state: str, limit: int, cursor: str | None) -> Page[Order]:
    return repo.list_by_state(_state(state), limit, cursor)


def _state(text: str) -> OrderState:
    try:
        return OrderState(text)
    except ValueError as exc:
        names = ", ".join(s.value for s in OrderState)
        raise InvalidInput.for_field("state", f"must be one of {names}") from exc


# --- payment ----------------------------------------------------------------------------------


def confirm_payment(order_id: str, reference: str, amount_text: str | Decimal) -> tuple[Order, bool]:
    """Record a successful payment and fulfil the order exactly once.

    Returns the order and whether this was a replay (the same payment reference again). A payment
    that can no longer be fulfilled (seat or code gone after the hold expired) leaves the order
    ``paid_unfulfillable`` for a refund.
    """
    if not reference.strip():
        raise InvalidInput.for_field("payment_reference", "must not be empty")
    amount = parse_amount(amount_text)
    for _ in range(_ATTEMPTS):
        now = utcnow()
        order = repo.get_order(order_id)
        step = payment_step(order, reference, amount)
        if step == "replay":
            metrics.add_metric(name="OrderPaymentReplayed", unit=MetricUnit.Count, value=1)
            return order, True
        around = repo.surroundings(order, reference)
        if around.payment_order not in (None, order.id):
            raise Conflict(
                "this payment reference was recorded for another order", code="payment_reference_reused"
            )
        try:
            if step == "record_on_cancelled":
                repo.record_payment_on_cancelled(order, reference, amount, now)
                paid = repo.get_order(order_id)
                emit("paid", paid, refund_due=True)
                return paid, False
            reason = _unfulfillable_reason(order, around, now)
            if reason is not None:
                repo.record_unfulfillable(order, around, reference, amount, reason=reason, now=now)
                paid = repo.get_order(order_id)
                emit("paid", paid)
                emit("unfulfillable", paid, reason=reason)
                logger.error("paid order cannot be fulfilled", extra={"order_id": order_id, "reason": reason})
                return paid, False
            attached = repo.fulfil(order, around, reference, amount, now)
        except repo.OrderCollided as collided:
            logger.info("payment collided; deciding again", extra={"failed": sorted(collided.failed)})
            continue
        fulfilled = repo.get_order(order_id)
        emit("paid", fulfilled)
        emit("fulfilled", fulfilled, attached=attached, late=not order.hold_live(now))
        metrics.add_metric(name="CodesRedeemed", unit=MetricUnit.Count, value=1)
        if attached:
            metrics.add_metric(name="SeatsTaken", unit=MetricUnit.Count, value=1)
        return fulfilled, False
    raise Conflict("the payment kept colliding with other changes; retry", code="order_busy")


def _unfulfillable_reason(order: Order, around: repo.OrderSurroundings, now: datetime) -> str | None:
    return unfulfillable_reason(
        order,
        enrolled=around.enrolled,
        member=around.member,
        code_free=None
        if order.code is None
        else around.code is not None and around.code.free_for(order, now),
        room_for_one=around.seats is not None
        and around.seats.room_for_one(now, excluding_user=order.user_id),
        terms_version=around.terms_version,
    )


# --- cancel, expire, refund ------------------------------------------------------------------


def cancel(order_id: str, *, user_id: str | None = None) -> Order:
    """Cancel a pending order (the learner's own, or any for the storefront): holds released at once."""
    for _ in range(_ATTEMPTS):
        order = get_order(order_id, user_id=user_id)
        if order.state is OrderState.CANCELLED:
            return order
        check_cancellable(order)
        around = repo.surroundings(order)
        try:
            repo.close(order, around, OrderState.CANCELLED, utcnow())
        except repo.OrderCollided:
            continue
        cancelled = repo.get_order(order_id)
        emit("cancelled", cancelled)
        return cancelled
    raise Conflict("cancelling kept colliding with other changes; retry", code="order_busy")


def expire_due(limit: int = 100) -> int:
    """Close pending orders whose hold has ended (their holds already count as free) and emit
    ``expired`` for each. Returns how many were expired."""
    now = utcnow()
    expired = 0
    page = repo.list_by_state(OrderState.PENDING_PAYMENT, limit, None, due_before=int(now.timestamp()))
    for order in page.items:
        around = repo.surroundings(order)
        try:
            repo.close(order, around, OrderState.EXPIRED, now)
        except repo.OrderCollided:
            continue  # paid, cancelled or touched meanwhile: the next sweep looks again
        expired += 1
        emit("expired", order)
    return expired


def refund(order_id: str) -> Order:
    """Refund a paid order: a fulfilled one loses its enrollment and gives its seat back; the
    one-time code stays redeemed. Refunding a refunded order answers it again."""
    for _ in range(_ATTEMPTS):
        order = repo.get_order(order_id)
        check_refundable(order)
        if order.state is OrderState.REFUNDED:
            return order
        around = repo.surroundings(order)
        try:
            repo.refund(order, around, utcnow())
        except repo.OrderCollided:
            continue
        refunded = repo.get_order(order_id)
        emit("refunded", refunded)
        return refunded
    raise Conflict("the refund kept colliding with other changes; retry", code="order_busy")


# --- Stripe -----------------------------------------------------------------------------------


def start_stripe_checkout(order_id: str, user_id: str | None = None) -> dict[str, Any]:
    """A Stripe Checkout Session for a pending order (amount, currency, order id in metadata)."""
    now = utcnow()
    order = get_order(order_id, user_id=user_id)
    if order.state is not OrderState.PENDING_PAYMENT:
        raise Conflict(f"an order in state {order.state.value} cannot be paid", code="order_not_payable")
    session = stripe_gateway.create_session(order, now)
    repo.set_provider_session(order.id, session.id)
    return {
        "order_id": order.id,
        "session_id": session.id,
        "url": session.url,
        "expires_at": session.expires_at,
    }


def handle_stripe_webhook(payload: bytes, signature: str | None) -> dict[str, Any]:
    """Act on a verified Stripe event: a completed session fulfils, an expired one cancels."""
    event = stripe_gateway.verify_event(payload, signature)
    if event.order_id is None:
        return {"received": True, "action": "ignored"}
    try:
        repo.get_order(event.order_id)
    except NotFound:
        # Another system's session on the same Stripe account: acknowledged, so Stripe stops resending.
        logger.warning("stripe event for an unknown order", extra={"session_id": event.session_id})
        return {"received": True, "action": "ignored"}
    if event.type == "checkout.session.completed":
        order = repo.get_order(event.order_id)
        if event.currency is not None and event.currency.lower() != order.currency.lower():
            raise Conflict("the session's currency does not match the order", code="amount_mismatch")
        paid_minor = event.amount_minor if event.amount_minor is not None else minor_units(order.amount)
        amount = Decimal(paid_minor) / 100
        assert event.payment_reference is not None
        fulfilled, replayed = confirm_payment(event.order_id, event.payment_reference, amount)
        return {"received": True, "action": "payment", "state": fulfilled.state.value, "replayed": replayed}
    if event.type == "checkout.session.expired":
        order = repo.get_order(event.order_id)
        if order.state is OrderState.PENDING_PAYMENT:
            cancel(event.order_id)
        return {"received": True, "action": "cancel"}
    return {"received": True, "action": "ignored"}


def require_scope(scopes: list[str]) -> None:
    """The storefront's machine token must carry the orders scope."""
    wanted = get_settings().orders_scope
    if wanted not in scopes:
        raise Forbidden(f"this route needs a token with the {wanted} scope", code="scope_required")
