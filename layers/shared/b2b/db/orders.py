"""Orders in storage: opening one with its holds, fulfilling, releasing and refunding, listing.

Every change of an order is one transaction whose conditions carry the invariants: the order is
still in the state it was read in, the seat counter's holds are as they were read (see
:mod:`b2b.db.memberships`), the code is still free for this learner, a payment reference is used once.
A cancelled transaction raises :class:`OrderCollided` with the failed labels; the service reads
again and decides again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DoesNotExist

from b2b.db import keys
from b2b.db.checkout import batch_read
from b2b.db.code_counters import add_counter_update
from b2b.db.codes import status_actions
from b2b.db.errors import translate_errors
from b2b.db.memberships import holds_fence, membership_item, seat_condition, seat_holds
from b2b.db.models import (
    AuditItem,
    CheckoutResultItem,
    ContractItem,
    EnrollmentCodeItem,
    EnrollmentItem,
    MembershipItem,
    OrderItem,
    PaymentItem,
    PendingOrderItem,
    SeatCounterItem,
)
from b2b.db.paging import decode_cursor, encode_cursor
from b2b.db.transactions import Transaction, TransactionCancelled
from b2b.domain.errors import NotFound
from b2b.domain.model import Membership, Page
from b2b.domain.orders import Hold, Order, OrderState, SeatHolds
from b2b.domain.reconcile import CodeStatus


class OrderCollided(Exception):
    """An order transaction was cancelled by a concurrent change: read again, decide again."""

    def __init__(self, reasons: dict[str, str]) -> None:
        super().__init__(f"order transaction cancelled: {reasons}")
        self.failed = frozenset(label for label, code in reasons.items() if code == "ConditionalCheckFailed")
        self.conflicted = "TransactionConflict" in reasons.values()


def new_order_id() -> str:
    return "ord_" + uuid.uuid4().hex[:20]


def _commit(tx: Transaction) -> None:
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        raise OrderCollided(cancelled.reasons) from cancelled


# --- items ------------------------------------------------------------------------------------


def _order_item(order: Order) -> OrderItem:
    return OrderItem(
        pk=keys.order_pk(order.id),
        sk=keys.ORDER_SK,
        gsi1pk=keys.user_orders_gsi1_pk(order.user_id),
        gsi1sk=keys.order_gsi_sk(int(order.created_at.timestamp()), order.id),
        gsi2pk=keys.orders_by_state_gsi2_pk(order.state.value),
        gsi2sk=keys.order_gsi_sk(order.hold_until, order.id),
        order_id=order.id,
        user_id=order.user_id,
        contract_id=order.contract_id,
        product_id=order.product_id,
        run_id=order.run_id,
        code=order.code,
        code_kind=order.code_kind,
        amount=order.amount,
        currency=order.currency,
        state=order.state.value,
        holds_seat=order.holds_seat,
        created_at=order.created_at,
        hold_until=order.hold_until,
        order_reference=order.order_reference,
        terms_version=order.terms_version,
    )


def to_order(item: OrderItem) -> Order:
    return Order(
        id=item.order_id,
        user_id=item.user_id,
        contract_id=int(item.contract_id),
        product_id=int(item.product_id),
        run_id=item.run_id,
        code=item.code,
        code_kind=None if item.code is None else "unlimited" if item.code_kind == "unlimited" else "one_time",
        amount=item.amount,
        currency=item.currency,
        state=OrderState(item.state),
        holds_seat=bool(item.holds_seat),
        created_at=item.created_at,
        hold_until=int(item.hold_until),
        order_reference=item.order_reference,
        payment_reference=item.payment_reference,
        paid_amount=item.paid_amount,
        paid_at=item.paid_at,
        fulfilled_at=item.fulfilled_at,
        closed_at=item.closed_at,
        refunded_at=item.refunded_at,
        unfulfillable_reason=item.unfulfillable_reason,
        attached=bool(item.attached),
        provider_session=item.provider_session,
        terms_version=int(item.terms_version) if item.terms_version is not None else None,
    )


def _order_key(order_id: str) -> OrderItem:
    return OrderItem(pk=keys.order_pk(order_id), sk=keys.ORDER_SK)


def _state_actions(order: Order, state: OrderState) -> list[Any]:
    return [
        OrderItem.state.set(state.value),
        OrderItem.gsi2pk.set(keys.orders_by_state_gsi2_pk(state.value)),
    ]


def _in_state(*states: OrderState) -> Any:
    return OrderItem.state.is_in(*[s.value for s in states])


def _holds_value(holds: dict[str, Hold]) -> dict[str, Any]:
    return {user: {"order": hold.order_id, "until": hold.until} for user, hold in holds.items()}


def _seats_key(contract_id: int) -> SeatCounterItem:
    return SeatCounterItem(pk=keys.contract_pk(contract_id), sk=keys.SEATS_SK)


def _code_key(code: str) -> EnrollmentCodeItem:
    return EnrollmentCodeItem(pk=keys.code_pk(code), sk=keys.CODE_SK)


def _audit(action: str, order: Order, now: datetime, reference: str | None = None) -> AuditItem:
    return AuditItem(
        pk=keys.contract_pk(order.contract_id),
        sk=keys.audit_sk(now.isoformat(), uuid.uuid4().hex[:12]),
        action=action,
        actor=order.user_id,
        contract_id=order.contract_id,
        product_id=order.product_id,
        code=order.code,
        source="order",
        reference=reference or order.id,
        at=now,
    )


# --- opening ----------------------------------------------------------------------------------


def _contract_as_priced(order: Order) -> Any:
    """The contract is active and, for an order that recorded them, at the terms it was priced at."""
    active = ContractItem.active == True  # noqa: E712 - a PynamoDB condition
    if order.terms_version is None:
        return active
    if order.terms_version == 0:
        # Contracts written before terms were versioned have no attribute: version 0.
        return active & (ContractItem.terms_version.does_not_exist() | (ContractItem.terms_version == 0))
    return active & (ContractItem.terms_version == order.terms_version)


def _check_member(tx: Transaction, order: Order) -> None:
    tx.condition_check(
        "member",
        MembershipItem,
        keys.contract_pk(order.contract_id),
        keys.membership_sk(order.user_id),
        MembershipItem.pk.exists(),
    )


@dataclass(frozen=True)
class IdempotencyRecord:
    """The checkout's stored answer for an Idempotency-Key, written with the order."""

    key: str
    request_hash: str
    receipt: dict[str, Any]
    ttl_seconds: int


def open_order(
    order: Order, seats: SeatHolds | None, now: datetime, record: IdempotencyRecord | None = None
) -> None:
    """One transaction: the order, its seat hold (when it holds one), the code reserved (when it has
    one; without one, the learner's membership checked), the learner's pending-order marker, and
    the checkout's stored answer. The contract must still be active at the terms it was priced at."""
    tx = Transaction()
    now_epoch = int(now.timestamp())
    tx.condition_check(
        "contract",
        ContractItem,
        keys.contract_pk(order.contract_id),
        keys.CONTRACT_SK,
        _contract_as_priced(order),
    )
    if order.holds_seat:
        assert seats is not None
        holds = seats.live_holds(now, excluding_user=order.user_id)
        holds[order.user_id] = Hold(order.id, order.hold_until)
        tx.update(
            "seat",
            _seats_key(order.contract_id),
            [
                SeatCounterItem.holds.set(_holds_value(holds)),
                SeatCounterItem.holds_version.set(seats.version + 1),
            ],
            seat_condition(seats, now, excluding_user=order.user_id),
        )
    usable = (
        (EnrollmentCodeItem.status == CodeStatus.AVAILABLE.value)
        & (EnrollmentCodeItem.contract_id == order.contract_id)
        & (EnrollmentCodeItem.product_id == order.product_id)
    )
    if order.code is None:
        _check_member(tx, order)
    elif order.code_kind == "one_time":
        tx.update(
            "code",
            _code_key(order.code),
            [
                EnrollmentCodeItem.reserved_by.set(order.user_id),
                EnrollmentCodeItem.reserved_until.set(order.hold_until),
                EnrollmentCodeItem.reserved_order.set(order.id),
            ],
            usable
            & (EnrollmentCodeItem.kind == "one_time")
            & (
                EnrollmentCodeItem.claimed_by.does_not_exist()
                | (EnrollmentCodeItem.claimed_by == order.user_id)
            )
            & (
                EnrollmentCodeItem.reserved_by.does_not_exist()
                | (EnrollmentCodeItem.reserved_by == order.user_id)
                | (EnrollmentCodeItem.reserved_until <= now_epoch)
            ),
        )
    else:
        tx.condition_check("code", EnrollmentCodeItem, keys.code_pk(order.code), keys.CODE_SK, usable)
    tx.put(
        "pending",
        PendingOrderItem(
            pk=keys.user_pk(order.user_id),
            sk=keys.pending_order_sk(order.contract_id),
            order_id=order.id,
            hold_until=order.hold_until,
        ),
        PendingOrderItem.pk.does_not_exist() | (PendingOrderItem.hold_until <= now_epoch),
    )
    tx.put("order", _order_item(order), OrderItem.pk.does_not_exist())
    if record is not None:
        tx.put(
            "result",
            CheckoutResultItem(
                pk=keys.checkout_result_pk(order.user_id, record.key),
                sk=keys.CHECKOUT_RESULT_SK,
                user_id=order.user_id,
                request_hash=record.request_hash,
                body=json.dumps(record.receipt, separators=(",", ":")),
                created_at=now,
                expires_at=now_epoch + record.ttl_seconds,
            ),
            CheckoutResultItem.pk.does_not_exist(),
        )
    _commit(tx)


def pending_order_id(user_id: str, contract_id: int, now: datetime) -> str | None:
    """The learner's pending order for a contract whose hold still lives (one GetItem)."""
    found = batch_read([(keys.user_pk(user_id), keys.pending_order_sk(contract_id))])
    item = next(iter(found.values()), None)
    if not isinstance(item, PendingOrderItem) or int(item.hold_until) <= int(now.timestamp()):
        return None
    return str(item.order_id)


# --- reading ----------------------------------------------------------------------------------


def get_order(order_id: str) -> Order:
    with translate_errors():
        try:
            item = OrderItem.get(keys.order_pk(order_id), keys.ORDER_SK, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFound(f"order {order_id} does not exist", code="order_not_found") from exc
    return to_order(item)


@dataclass(frozen=True)
class CodeHold:
    """An order's code as fulfilment sees it."""

    status: str
    kind: str
    claimed_by: str | None
    reserved_by: str | None
    reserved_order: str | None
    reserved_until: int | None

    def free_for(self, order: Order, now: datetime) -> bool:
        if self.status != CodeStatus.AVAILABLE.value:
            return False
        if self.kind != "one_time":
            return True
        if self.claimed_by not in (None, order.user_id):
            return False
        return (
            self.reserved_order == order.id
            or self.reserved_by in (None, order.user_id)
            or (self.reserved_until or 0) <= int(now.timestamp())
        )


@dataclass(frozen=True)
class OrderSurroundings:
    """What fulfilling, releasing or refunding an order decides on (one BatchGetItem)."""

    seats: SeatHolds | None
    member: bool
    code: CodeHold | None
    enrolled: bool
    pending_marker_is_this: bool
    payment_order: str | None  # the order a payment reference was recorded for, if asked
    terms_version: int | None = None  # the contract's, as read (None: no contract item)


def _code_hold(item: EnrollmentCodeItem) -> CodeHold:
    return CodeHold(
        status=item.status,
        kind=item.kind,
        claimed_by=item.claimed_by,
        reserved_by=item.reserved_by,
        reserved_order=item.reserved_order,
        reserved_until=int(item.reserved_until) if item.reserved_until is not None else None,
    )


def surroundings(order: Order, payment_reference: str | None = None) -> OrderSurroundings:
    wanted = [
        (keys.contract_pk(order.contract_id), keys.CONTRACT_SK),
        (keys.contract_pk(order.contract_id), keys.SEATS_SK),
        (keys.contract_pk(order.contract_id), keys.membership_sk(order.user_id)),
        (keys.user_pk(order.user_id), keys.enrollment_sk(order.run_id)),
        (keys.user_pk(order.user_id), keys.pending_order_sk(order.contract_id)),
    ]
    if order.code is not None:
        wanted.append((keys.code_pk(order.code), keys.CODE_SK))
    if payment_reference is not None:
        wanted.append((keys.payment_pk(payment_reference), keys.PAYMENT_SK))
    found = batch_read(wanted)
    seats = member = code = None
    enrolled = marker = False
    payment_order = None
    for item in found.values():
        if isinstance(item, SeatCounterItem):
            seats = seat_holds(item)
        elif isinstance(item, MembershipItem):
            member = True
        elif isinstance(item, EnrollmentCodeItem):
            code = _code_hold(item)
        elif isinstance(item, EnrollmentItem):
            enrolled = item.status == "active"
        elif isinstance(item, PendingOrderItem):
            marker = item.order_id == order.id
        elif isinstance(item, PaymentItem):
            payment_order = item.order_id
    return OrderSurroundings(
        seats, bool(member), code, enrolled, marker, payment_order, _terms_version(found.values())
    )


def _terms_version(items: Iterable[Any]) -> int | None:
    """The contract's terms version among the items read (absent attribute: 0; no contract: None)."""
    for item in items:
        if isinstance(item, ContractItem):
            return int(item.terms_version or 0)
    return None


# --- fulfilling -------------------------------------------------------------------------------


def _release_seat_hold(tx: Transaction, order: Order, seats: SeatHolds | None, now: datetime) -> None:
    """Drop the learner's hold (and expired ones) from the counter, fenced on the version read."""
    if seats is None or order.user_id not in seats.holds or seats.holds[order.user_id].order_id != order.id:
        return
    tx.update(
        "seat",
        _seats_key(order.contract_id),
        [
            SeatCounterItem.holds.set(_holds_value(seats.live_holds(now, excluding_user=order.user_id))),
            SeatCounterItem.holds_version.set(seats.version + 1),
        ],
        holds_fence(seats.version),
    )


def _release_code(tx: Transaction, order: Order, around: OrderSurroundings) -> None:
    if (
        order.code is None
        or order.code_kind != "one_time"
        or around.code is None
        or around.code.reserved_order != order.id
    ):
        return
    tx.update(
        "code",
        _code_key(order.code),
        [
            EnrollmentCodeItem.reserved_by.remove(),
            EnrollmentCodeItem.reserved_until.remove(),
            EnrollmentCodeItem.reserved_order.remove(),
        ],
        EnrollmentCodeItem.reserved_order == order.id,
    )


def _drop_marker(tx: Transaction, order: Order, around: OrderSurroundings) -> None:
    if around.pending_marker_is_this:
        tx.delete(
            "pending",
            PendingOrderItem(pk=keys.user_pk(order.user_id), sk=keys.pending_order_sk(order.contract_id)),
            PendingOrderItem.order_id == order.id,
        )


def _payment_put(tx: Transaction, order: Order, reference: str, now: datetime) -> None:
    tx.put(
        "payment",
        PaymentItem(pk=keys.payment_pk(reference), sk=keys.PAYMENT_SK, order_id=order.id, recorded_at=now),
        PaymentItem.pk.does_not_exist(),
    )


def _payment_actions(reference: str, amount: Decimal, now: datetime) -> list[Any]:
    return [
        OrderItem.payment_reference.set(reference),
        OrderItem.paid_amount.set(amount),
        OrderItem.paid_at.set(now),
    ]


def fulfil(order: Order, around: OrderSurroundings, reference: str, amount: Decimal, now: datetime) -> bool:
    """One transaction: payment recorded, code redeemed (when the order has one), seat taken (hold
    turned into it) or already a member, membership, enrollment; the contract still at the terms
    the order was priced at. Returns whether the learner was attached by it."""
    tx = Transaction()
    attach = not around.member
    actions = [
        *_state_actions(order, OrderState.FULFILLED),
        *_payment_actions(reference, amount, now),
        OrderItem.fulfilled_at.set(now),
        OrderItem.attached.set(attach),
    ]
    tx.update(
        "order",
        _order_key(order.id),
        actions,
        _in_state(OrderState.PENDING_PAYMENT, OrderState.EXPIRED)
        & OrderItem.payment_reference.does_not_exist(),
    )
    _payment_put(tx, order, reference, now)
    tx.condition_check(
        "contract",
        ContractItem,
        keys.contract_pk(order.contract_id),
        keys.CONTRACT_SK,
        _contract_as_priced(order),
    )
    seats = around.seats
    if attach:
        assert order.code is not None, "an order without a code is a member's"
        assert seats is not None
        others = seats.live_holds(now, excluding_user=order.user_id)
        tx.update(
            "seat",
            _seats_key(order.contract_id),
            [
                SeatCounterItem.taken.add(1),
                SeatCounterItem.holds.set(_holds_value(others)),
                SeatCounterItem.holds_version.set(seats.version + 1),
            ],
            seat_condition(seats, now, excluding_user=order.user_id),
        )
        membership = Membership(
            contract_id=order.contract_id,
            user_id=order.user_id,
            source="code",
            code=order.code,
            attached_at=now,
        )
        tx.put("membership", membership_item(membership), MembershipItem.pk.does_not_exist())
        tx.put("audit_attach", _audit("learner_attached", order, now))
    else:
        _check_member(tx, order)
        _release_seat_hold(tx, order, seats, now)
    if order.code is not None:
        _redeem_code(tx, order, now)
    tx.put(
        "enrollment",
        EnrollmentItem(
            pk=keys.user_pk(order.user_id),
            sk=keys.enrollment_sk(order.run_id),
            user_id=order.user_id,
            run_id=order.run_id,
            contract_id=order.contract_id,
            product_id=order.product_id,
            source="checkout",
            status="active",
            enrolled_at=now,
        ),
        EnrollmentItem.pk.does_not_exist(),
    )
    tx.put(
        "audit_redeem", _audit("code_redeemed" if order.code else "order_fulfilled", order, now, reference)
    )
    _drop_marker(tx, order, around)
    _commit(tx)
    return attach


def _redeem_code(tx: Transaction, order: Order, now: datetime) -> None:
    assert order.code is not None
    code_item = _code_key(order.code)
    if order.code_kind == "one_time":
        tx.update(
            "code",
            code_item,
            [
                *status_actions(order.contract_id, CodeStatus.REDEEMED),
                EnrollmentCodeItem.redemptions.add(1),
                EnrollmentCodeItem.redeemed_by.set(order.user_id),
                EnrollmentCodeItem.redeemed_at.set(now),
                EnrollmentCodeItem.reserved_by.remove(),
                EnrollmentCodeItem.reserved_until.remove(),
                EnrollmentCodeItem.reserved_order.remove(),
            ],
            (EnrollmentCodeItem.status == CodeStatus.AVAILABLE.value)
            & (EnrollmentCodeItem.kind == "one_time")
            & (
                EnrollmentCodeItem.claimed_by.does_not_exist()
                | (EnrollmentCodeItem.claimed_by == order.user_id)
            )
            & (
                (EnrollmentCodeItem.reserved_order == order.id)
                | EnrollmentCodeItem.reserved_by.does_not_exist()
                | (EnrollmentCodeItem.reserved_by == order.user_id)
                | (EnrollmentCodeItem.reserved_until <= int(now.timestamp()))
            ),
        )
        add_counter_update(tx, "counter", order.contract_id, order.product_id, available=-1, redeemed=1)
    else:
        tx.update(
            "code",
            code_item,
            [EnrollmentCodeItem.redemptions.add(1)],
            (EnrollmentCodeItem.status == CodeStatus.AVAILABLE.value)
            & (EnrollmentCodeItem.kind == "unlimited"),
        )
        add_counter_update(tx, "counter", order.contract_id, order.product_id, unlimited_uses=1)


def record_unfulfillable(
    order: Order, around: OrderSurroundings, reference: str, amount: Decimal, *, reason: str, now: datetime
) -> None:
    """The payment is recorded but the seat or the code is gone: the order waits for its refund."""
    tx = Transaction()
    tx.update(
        "order",
        _order_key(order.id),
        [
            *_state_actions(order, OrderState.PAID_UNFULFILLABLE),
            *_payment_actions(reference, amount, now),
            OrderItem.unfulfillable_reason.set(reason),
            OrderItem.closed_at.set(now),
        ],
        _in_state(OrderState.PENDING_PAYMENT, OrderState.EXPIRED)
        & OrderItem.payment_reference.does_not_exist(),
    )
    _payment_put(tx, order, reference, now)
    _release_seat_hold(tx, order, around.seats, now)
    _release_code(tx, order, around)
    _drop_marker(tx, order, around)
    _commit(tx)


def record_payment_on_cancelled(order: Order, reference: str, amount: Decimal, now: datetime) -> None:
    tx = Transaction()
    tx.update(
        "order",
        _order_key(order.id),
        _payment_actions(reference, amount, now),
        _in_state(OrderState.CANCELLED) & OrderItem.payment_reference.does_not_exist(),
    )
    _payment_put(tx, order, reference, now)
    _commit(tx)


# --- cancelling, expiring, refunding ----------------------------------------------------------


def close(order: Order, around: OrderSurroundings, state: OrderState, now: datetime) -> None:
    """A pending order ends unpaid (cancelled or expired): holds released in the same transaction."""
    tx = Transaction()
    tx.update(
        "order",
        _order_key(order.id),
        [*_state_actions(order, state), OrderItem.closed_at.set(now)],
        _in_state(OrderState.PENDING_PAYMENT) & OrderItem.payment_reference.does_not_exist(),
    )
    _release_seat_hold(tx, order, around.seats, now)
    _release_code(tx, order, around)
    _drop_marker(tx, order, around)
    _commit(tx)


def refund(order: Order, around: OrderSurroundings, now: datetime) -> None:
    """A paid order is refunded: a fulfilled one loses its enrollment, and the seat it took.

    The one-time code stays redeemed (see docs/decisions.md)."""
    tx = Transaction()
    tx.update(
        "order",
        _order_key(order.id),
        [*_state_actions(order, OrderState.REFUNDED), OrderItem.refunded_at.set(now)],
        _in_state(order.state) & OrderItem.payment_reference.exists(),
    )
    if order.state is OrderState.FULFILLED:
        if around.enrolled:
            tx.update(
                "enrollment",
                EnrollmentItem(pk=keys.user_pk(order.user_id), sk=keys.enrollment_sk(order.run_id)),
                [EnrollmentItem.status.set("unenrolled")],
                (EnrollmentItem.status == "active") & (EnrollmentItem.product_id == order.product_id),
            )
        if order.attached and around.member:
            tx.delete(
                "membership",
                MembershipItem(pk=keys.contract_pk(order.contract_id), sk=keys.membership_sk(order.user_id)),
                MembershipItem.pk.exists(),
            )
            tx.update(
                "seat",
                _seats_key(order.contract_id),
                [SeatCounterItem.taken.add(-1)],
                SeatCounterItem.taken > 0,
            )
        tx.put("audit_refund", _audit("order_refunded", order, now))
    _commit(tx)


def set_provider_session(order_id: str, session_id: str) -> None:
    with translate_errors():
        _order_key(order_id).update(actions=[OrderItem.provider_session.set(session_id)])


# --- listing ----------------------------------------------------------------------------------


def list_for_user(user_id: str, limit: int, cursor: str | None) -> Page[Order]:
    """A learner's orders, newest first (one Query on gsi1 per page)."""
    partition = keys.user_orders_gsi1_pk(user_id)
    with translate_errors():
        result = OrderItem.gsi1.query(
            partition,
            limit=limit,
            scan_index_forward=False,
            last_evaluated_key=decode_cursor(cursor, ("gsi1pk", partition)),
        )
        items = [to_order(item) for item in result]  # type: ignore[arg-type]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))


def list_by_state(
    state: OrderState, limit: int, cursor: str | None, due_before: int | None = None
) -> Page[Order]:
    """Orders in a state, by hold expiry (one Query on gsi2 per page); ``due_before`` keeps those
    whose hold ended before that epoch second."""
    partition = keys.orders_by_state_gsi2_pk(state.value)
    condition = OrderItem.gsi2sk < keys.order_gsi_sk(due_before, "") if due_before is not None else None
    with translate_errors():
        result = OrderItem.gsi2.query(
            partition,
            condition,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, ("gsi2pk", partition)),
        )
        items = [to_order(item) for item in result]  # type: ignore[arg-type]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))
