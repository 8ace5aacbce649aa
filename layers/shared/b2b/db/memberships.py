"""Learners attached to contracts, and the seat counter that caps them.

Taking a seat and recording the membership happen in one transaction: the seat update is
conditional on ``taken + live holds < cap`` (or no cap) and the membership put on the learner not
being there yet, so a cap is never exceeded and a learner already attached never takes a second seat.

Pending orders hold seats on the same counter (see :mod:`b2b.domain.orders`). DynamoDB cannot count
the live entries of a map in a condition, so every seat-taking write is fenced: it reads the
counter, and conditions on the holds version it read and on ``taken < cap - live holds at read``.
A hold added meanwhile changes the version and cancels the write; a hold that expires meanwhile
only makes the bound conservative.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import size

from b2b.db import keys
from b2b.db.errors import translate_errors
from b2b.db.models import MembershipItem, SeatCounterItem
from b2b.db.paging import decode_cursor, encode_cursor
from b2b.db.transactions import Transaction, TransactionCancelled
from b2b.domain.errors import Conflict, NotFound
from b2b.domain.model import Membership, MembershipSource, Page, utcnow
from b2b.domain.orders import Hold, SeatHolds

AttachOutcome = Literal["attached", "already_attached"]


def contract_full_error(contract_id: int) -> Conflict:
    return Conflict(f"contract {contract_id} has no seat left", code="contract_full")


SEAT = "seat"
MEMBERSHIP = "membership"


def seat_holds(item: SeatCounterItem) -> SeatHolds:
    """The counter as the hold rules see it."""
    raw: dict[str, Any] = item.holds.as_dict() if item.holds is not None else {}
    holds = {
        user: Hold(order_id=str(value["order"]), until=int(value["until"]))
        for user, value in raw.items()
        if isinstance(value, dict)
    }
    return SeatHolds(
        taken=int(item.taken or 0),
        cap=int(item.cap) if item.cap is not None else None,
        holds=holds,
        version=int(item.holds_version or 0),
    )


def read_seats(contract_id: int) -> SeatHolds | None:
    """The seat counter of a contract (one strongly consistent GetItem; None when missing)."""
    with translate_errors():
        try:
            item = SeatCounterItem.get(keys.contract_pk(contract_id), keys.SEATS_SK, consistent_read=True)
        except DoesNotExist:
            return None
    return seat_holds(item)


def holds_fence(version: int) -> Any:
    """The holds map is as it was read."""
    if version == 0:
        return SeatCounterItem.holds_version.does_not_exist() | (SeatCounterItem.holds_version == 0)
    return SeatCounterItem.holds_version == version


def seat_condition(seats: SeatHolds | None, now: datetime, excluding_user: str | None = None) -> Any:
    """The condition of a write that takes one seat, fenced on the counter as read at ``now``."""
    if seats is None:
        return SeatCounterItem.pk.exists()  # fails: no counter, no contract
    condition = SeatCounterItem.pk.exists() & holds_fence(seats.version)
    live = seats.held(now, excluding_user)
    if seats.cap is None or live == 0:
        # No live hold when read (holds added since then change the version): ``taken < cap``.
        return condition & (
            SeatCounterItem.cap.does_not_exist() | (SeatCounterItem.taken < SeatCounterItem.cap)
        )
    return condition & (SeatCounterItem.cap == seats.cap) & (SeatCounterItem.taken < seats.cap - live)


def no_holds_condition() -> Any:
    """Taking a seat without reading the counter: allowed while no order holds a seat at all
    (an empty map, checked when the write lands), within ``taken < cap``."""
    return (
        SeatCounterItem.pk.exists()
        & (SeatCounterItem.holds.does_not_exist() | (size(SeatCounterItem.holds) == 0))
        & (SeatCounterItem.cap.does_not_exist() | (SeatCounterItem.taken < SeatCounterItem.cap))
    )


def add_attach_operations(
    tx: Transaction, membership: Membership, seats: SeatHolds | None = None, now: datetime | None = None
) -> None:
    """Add the two writes that attach a learner: take a seat (``"seat"``), put the membership
    (``"membership"``). With ``seats`` (the counter as read) the seat write is fenced on that read;
    without, it counts on no hold existing (see :func:`no_holds_condition`), and a writer whose
    seat write failed reads the counter and tries again fenced. See :func:`attach_failure`."""
    counter = SeatCounterItem(pk=keys.contract_pk(membership.contract_id), sk=keys.SEATS_SK)
    condition = no_holds_condition() if seats is None else seat_condition(seats, now or utcnow())
    tx.update(SEAT, counter, [SeatCounterItem.taken.add(1)], condition)
    tx.put(MEMBERSHIP, _item(membership), MembershipItem.pk.does_not_exist())


def attach_failure(cancelled: TransactionCancelled, contract_id: int) -> AttachOutcome | None:
    """Read a cancelled transaction that included :func:`add_attach_operations`.

    Returns ``"already_attached"`` when the membership existed; raises the contract-full conflict
    when the seat condition failed and a fresh read shows no room; returns None otherwise (holds
    exist or moved under the write, or another operation failed: read the counter, decide again).
    """
    if cancelled.failed(MEMBERSHIP):
        return "already_attached"
    if cancelled.failed(SEAT):
        seats = read_seats(contract_id)
        if seats is None or not seats.room_for_one(utcnow()):
            raise contract_full_error(contract_id)
    return None


_ATTEMPTS = 5


def attach(membership: Membership) -> AttachOutcome:
    """Attach a learner within the cap (one TransactWriteItems; again, fenced, when holds exist)."""
    seats: SeatHolds | None = None
    for _ in range(_ATTEMPTS):
        tx = Transaction()
        add_attach_operations(tx, membership, seats)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            outcome = attach_failure(cancelled, membership.contract_id)
            if outcome is not None:
                return outcome
            if cancelled.failed(SEAT) or cancelled.conflicted:
                seats = read_seats(membership.contract_id)
                continue
            raise Conflict("attaching collided with another change; retry") from cancelled
        return "attached"
    raise Conflict("attaching kept colliding with other changes; retry")


def detach(contract_id: int, user_id: str, sources: frozenset[MembershipSource] | None = None) -> bool:
    """Remove a learner and give their seat back (one transaction).

    With ``sources``, only a membership of one of those sources is removed. Returns False when
    there was nothing (matching) to remove.
    """
    item = MembershipItem(pk=keys.contract_pk(contract_id), sk=keys.membership_sk(user_id))
    condition = MembershipItem.pk.exists()
    if sources is not None:
        condition = condition & MembershipItem.source.is_in(*sorted(sources))
    seats = SeatCounterItem(pk=keys.contract_pk(contract_id), sk=keys.SEATS_SK)
    tx = Transaction()
    tx.delete(MEMBERSHIP, item, condition)
    tx.update(SEAT, seats, [SeatCounterItem.taken.add(-1)], SeatCounterItem.taken > 0)
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed(MEMBERSHIP):
            return False
        raise Conflict("detaching collided with another change; retry") from cancelled
    return True


def contracts_joined(user_id: str, contract_ids: list[int]) -> set[int]:
    """Which of ``contract_ids`` the learner is attached to (one BatchGetItem per 100 contracts)."""
    if not contract_ids:
        return set()
    keys_wanted = [(keys.contract_pk(cid), keys.membership_sk(user_id)) for cid in contract_ids]
    with translate_errors():
        return {int(item.contract_id) for item in MembershipItem.batch_get(keys_wanted)}


def get_membership(contract_id: int, user_id: str) -> Membership:
    with translate_errors():
        try:
            item = MembershipItem.get(keys.contract_pk(contract_id), keys.membership_sk(user_id))
        except DoesNotExist as exc:
            raise NotFound(
                f"learner {user_id} is not in contract {contract_id}", code="learner_not_found"
            ) from exc
    return _to_domain(item)


def list_learners(contract_id: int, limit: int, cursor: str | None) -> Page[Membership]:
    """Learners of a contract: one Query on the contract's partition per page."""
    partition = keys.contract_pk(contract_id)
    with translate_errors():
        result = MembershipItem.query(
            partition,
            MembershipItem.sk.startswith(keys.MEMBERSHIP_SK_PREFIX),
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, ("pk", partition)),
        )
        items = [_to_domain(item) for item in result]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))


def list_contracts_of_learner(user_id: str, limit: int, cursor: str | None) -> Page[Membership]:
    """Contracts a learner is attached to: one Query on gsi1 per page."""
    partition = keys.user_contracts_gsi1_pk(user_id)
    with translate_errors():
        result = MembershipItem.gsi1.query(
            partition, limit=limit, last_evaluated_key=decode_cursor(cursor, ("gsi1pk", partition))
        )
        items = [_to_domain(item) for item in result]  # type: ignore[arg-type]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))


def membership_item(membership: Membership) -> MembershipItem:
    """The item of a membership (for transactions that attach a learner with other writes)."""
    return _item(membership)


def _item(membership: Membership) -> MembershipItem:
    return MembershipItem(
        pk=keys.contract_pk(membership.contract_id),
        sk=keys.membership_sk(membership.user_id),
        gsi1pk=keys.user_contracts_gsi1_pk(membership.user_id),
        gsi1sk=keys.contract_gsi_sk(membership.contract_id),
        contract_id=membership.contract_id,
        user_id=membership.user_id,
        source=membership.source,
        code=membership.code,
        attached_at=membership.attached_at,
    )


def _to_domain(item: MembershipItem) -> Membership:
    return Membership(
        contract_id=int(item.contract_id),
        user_id=item.user_id,
        source=item.source,  # type: ignore[arg-type]
        code=item.code,
        attached_at=item.attached_at,
    )


def membership_for(
    contract_id: int, user_id: str, source: MembershipSource, now: datetime, code: str | None = None
) -> Membership:
    """Convenience constructor used by the attach paths."""
    return Membership(contract_id=contract_id, user_id=user_id, source=source, code=code, attached_at=now)
