"""Learners attached to contracts, and the seat counter that caps them.

Taking a seat and recording the membership happen in one transaction: the seat update is
conditional on ``taken < cap`` (or no cap) and the membership put on the learner not being there
yet, so a cap is never exceeded and a learner already attached never takes a second seat.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pynamodb.exceptions import DoesNotExist

from b2b.db import keys
from b2b.db.errors import translate_errors
from b2b.db.models import MembershipItem, SeatCounterItem
from b2b.db.paging import decode_cursor, encode_cursor
from b2b.db.transactions import Transaction, TransactionCancelled
from b2b.domain.errors import Conflict, NotFound
from b2b.domain.model import Membership, MembershipSource, Page

AttachOutcome = Literal["attached", "already_attached"]


def contract_full_error(contract_id: int) -> Conflict:
    return Conflict(f"contract {contract_id} has no seat left", code="contract_full")


SEAT = "seat"
MEMBERSHIP = "membership"


def add_attach_operations(tx: Transaction, membership: Membership) -> None:
    """Add the two writes that attach a learner: take a seat (``"seat"``), put the membership
    (``"membership"``). See :func:`attach_failure` for reading a cancellation."""
    seats = SeatCounterItem(pk=keys.contract_pk(membership.contract_id), sk=keys.SEATS_SK)
    tx.update(
        SEAT,
        seats,
        [SeatCounterItem.taken.add(1)],
        SeatCounterItem.pk.exists()
        & (SeatCounterItem.cap.does_not_exist() | (SeatCounterItem.taken < SeatCounterItem.cap)),
    )
    tx.put(MEMBERSHIP, _item(membership), MembershipItem.pk.does_not_exist())


def attach_failure(cancelled: TransactionCancelled, contract_id: int) -> AttachOutcome | None:
    """Read a cancelled transaction that included :func:`add_attach_operations`.

    Returns ``"already_attached"`` when the membership existed; raises the contract-full conflict
    when the seat condition failed; returns None when neither failed.
    """
    if cancelled.failed(MEMBERSHIP):
        return "already_attached"
    if cancelled.failed(SEAT):
        raise contract_full_error(contract_id)
    return None


def attach(membership: Membership) -> AttachOutcome:
    """Attach a learner within the cap (one TransactWriteItems)."""
    tx = Transaction()
    add_attach_operations(tx, membership)
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        outcome = attach_failure(cancelled, membership.contract_id)
        if outcome is not None:
            return outcome
        raise Conflict("attaching collided with another change; retry") from cancelled
    return "attached"


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
