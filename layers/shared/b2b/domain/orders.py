"""Orders of priced checkouts: states, transitions, amounts, and the seat holds they keep.

A priced checkout opens an order in ``pending_payment``. Until its hold expires the order keeps a
seat of the contract (when the learner is new to a capped contract) and reserves its one-time code
for the learner. A confirmed payment fulfils the order exactly once (redemption, membership,
enrollment); a payment that comes after the holds were lost and cannot be fulfilled any more leaves
the order ``paid_unfulfillable`` for the storefront to refund.

Seat holds live on the contract's seat counter as a map ``learner -> {order, until}`` with a version
that every change of the map bumps. A hold whose ``until`` has passed is free: nothing needs to
remove it first. A writer that takes a seat reads the counter, counts the live holds at that
moment and conditions its write on the version it read and on ``taken < cap - live holds``. Time
passing only turns holds into free seats, so a condition computed from an earlier read stays safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Literal

from b2b.domain.errors import Conflict, InvalidInput


class OrderState(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    PAID_UNFULFILLABLE = "paid_unfulfillable"
    REFUNDED = "refunded"


# States a payment can still turn into an enrollment (an expired order whose seat and code are
# still to be had is fulfilled late; a cancelled one is not: the learner or storefront gave it up).
PAYABLE = frozenset({OrderState.PENDING_PAYMENT, OrderState.EXPIRED})
# States a refund applies to (a cancelled order only when a payment was recorded on it).
REFUNDABLE = frozenset({OrderState.FULFILLED, OrderState.PAID_UNFULFILLABLE, OrderState.CANCELLED})
CANCELLABLE = frozenset({OrderState.PENDING_PAYMENT})

OrderEvent = Literal["created", "paid", "fulfilled", "cancelled", "expired", "refunded", "unfulfillable"]


@dataclass(frozen=True)
class Hold:
    """A seat held for a learner's order until ``until`` (epoch seconds)."""

    order_id: str
    until: int

    def live(self, now: datetime) -> bool:
        return self.until > int(now.timestamp())


@dataclass(frozen=True)
class SeatHolds:
    """A contract's seat counter as read: seats taken, the cap, the holds and their version."""

    taken: int
    cap: int | None
    holds: Mapping[str, Hold]
    version: int

    def live_holds(self, now: datetime, excluding_user: str | None = None) -> dict[str, Hold]:
        return {user: hold for user, hold in self.holds.items() if user != excluding_user and hold.live(now)}

    def held(self, now: datetime, excluding_user: str | None = None) -> int:
        return len(self.live_holds(now, excluding_user))

    def room_for_one(self, now: datetime, excluding_user: str | None = None) -> bool:
        """Whether one more seat fits: ``taken + live holds (others') < cap``."""
        return self.cap is None or self.taken + self.held(now, excluding_user) < self.cap

    def taken_below(self, now: datetime, excluding_user: str | None = None) -> int | None:
        """The bound a seat-taking write conditions ``taken`` on (None: no cap)."""
        if self.cap is None:
            return None
        return self.cap - self.held(now, excluding_user)


def hold_until(now: datetime, hold_seconds: int) -> int:
    return int(now.timestamp()) + hold_seconds


@dataclass(frozen=True)
class Order:
    """A learner's order for one product of a priced contract."""

    id: str
    user_id: str
    contract_id: int
    product_id: int
    run_id: str
    # None: a member of the contract checking out its run at the contract's price (no code to
    # reserve or redeem; the member already holds their seat).
    code: str | None
    code_kind: Literal["one_time", "unlimited"] | None
    amount: Decimal
    currency: str
    state: OrderState
    holds_seat: bool
    created_at: datetime
    hold_until: int
    order_reference: str | None = None
    payment_reference: str | None = None
    paid_amount: Decimal | None = None
    paid_at: datetime | None = None
    fulfilled_at: datetime | None = None
    closed_at: datetime | None = None
    refunded_at: datetime | None = None
    unfulfillable_reason: str | None = None
    attached: bool = False  # fulfilment made the learner a member (a refund detaches them)
    provider_session: str | None = None
    # The contract's terms version the order was priced at (None: an order older than the field).
    terms_version: int | None = None

    @property
    def paid(self) -> bool:
        return self.payment_reference is not None

    @property
    def refund_due(self) -> bool:
        """Money was taken for an order that gave nothing (the storefront should refund it)."""
        return self.paid and self.state in {OrderState.PAID_UNFULFILLABLE, OrderState.CANCELLED}

    def hold_live(self, now: datetime) -> bool:
        return self.hold_until > int(now.timestamp())


def parse_amount(text: str | Decimal, field: str = "amount") -> Decimal:
    """A non-negative amount with at most two decimals (a payment, a price)."""
    try:
        amount = Decimal(str(text))
    except InvalidOperation as exc:
        raise InvalidInput.for_field(field, "must be a decimal amount such as 49.00") from exc
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidInput.for_field(field, "must be a non-negative amount with at most two decimals")
    return amount


def minor_units(amount: Decimal) -> int:
    """An amount in cents (what payment providers charge in)."""
    return int((amount * 100).to_integral_value())


PaymentStep = Literal["replay", "fulfil", "record_on_cancelled"]


def payment_step(order: Order, reference: str, amount: Decimal) -> PaymentStep:
    """What a payment confirmation does to an order (raises when it is refused).

    The payment reference is the idempotency key: the reference already recorded on the order
    replays the stored outcome; another reference on a paid order is refused.
    """
    if order.payment_reference is not None:
        if order.payment_reference == reference:
            return "replay"
        raise Conflict("this order was already paid with another payment", code="order_already_paid")
    if amount != order.amount:
        raise Conflict(
            f"the payment of {amount} does not match the order's amount of {order.amount}",
            code="amount_mismatch",
        )
    if order.state in PAYABLE:
        return "fulfil"
    if order.state is OrderState.CANCELLED:
        return "record_on_cancelled"
    raise Conflict(f"an order in state {order.state.value} cannot be paid", code="order_not_payable")


def check_cancellable(order: Order) -> None:
    if order.state not in CANCELLABLE:
        raise Conflict(
            f"an order in state {order.state.value} cannot be cancelled", code="order_not_cancellable"
        )


def check_refundable(order: Order) -> None:
    if order.state is OrderState.REFUNDED:
        return
    if order.state not in REFUNDABLE or not order.paid:
        raise Conflict(
            f"an order in state {order.state.value} without a payment cannot be refunded",
            code="order_not_refundable",
        )


UnfulfillableReason = Literal[
    "already_enrolled", "code_taken", "contract_full", "not_a_member", "terms_changed"
]


def unfulfillable_reason(
    order: Order,
    *,
    enrolled: bool,
    member: bool,
    code_free: bool | None,
    room_for_one: bool,
    terms_version: int | None,
) -> UnfulfillableReason | None:
    """Why a paid order cannot be fulfilled now, or None when it can.

    ``code_free`` is None for an order without a code; ``terms_version`` is the contract's as read.
    An order priced at other terms than the contract's now is refused rather than re-priced: the
    buyer paid the price they were shown, and the storefront refunds it (see docs/decisions.md).
    """
    if enrolled:
        return "already_enrolled"
    if order.terms_version is not None and terms_version != order.terms_version:
        return "terms_changed"
    if order.code is None:
        return None if member else "not_a_member"
    if not code_free:
        return "code_taken"
    if not member and not room_for_one:
        return "contract_full"
    return None


def order_view(order: Order, now: datetime) -> dict[str, object]:
    """An order as a plain record (the API's shape)."""
    return {
        "order_id": order.id,
        "state": order.state.value,
        "user_id": order.user_id,
        "contract_id": order.contract_id,
        "product_id": order.product_id,
        "run_id": order.run_id,
        "amount": str(order.amount),
        "currency": order.currency,
        "holds_seat": order.holds_seat,
        "hold_expires_at": datetime.fromtimestamp(order.hold_until, tz=now.tzinfo).isoformat(),
        "hold_live": order.state is OrderState.PENDING_PAYMENT and order.hold_live(now),
        "created_at": order.created_at.isoformat(),
        "order_reference": order.order_reference,
        "payment_reference": order.payment_reference,
        "paid_amount": str(order.paid_amount) if order.paid_amount is not None else None,
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        "fulfilled_at": order.fulfilled_at.isoformat() if order.fulfilled_at else None,
        "refunded_at": order.refunded_at.isoformat() if order.refunded_at else None,
        "refund_due": order.refund_due,
        "unfulfillable_reason": order.unfulfillable_reason,
    }
