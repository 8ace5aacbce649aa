"""Default-enrollment intentions (per contract) and their realizations (per learner).

An intention lives in its contract's partition, next to a guard item that keeps its content key
unique in the contract. A realization lives in the learner's partition; it and the enrollment it
creates are written in one transaction, each conditional on not existing, so an intention is
realized at most once per learner whatever the concurrency or retries.
"""

from __future__ import annotations

from typing import Literal

from pynamodb.exceptions import DoesNotExist, PutError

from b2b.db import keys
from b2b.db.counters import next_id
from b2b.db.enrollments import enrollment_item
from b2b.db.errors import CONDITION_FAILED, translate_errors
from b2b.db.models import (
    ContractItem,
    DefaultEnrollmentIntentionItem,
    DefaultEnrollmentKeyItem,
    DefaultEnrollmentRealizationItem,
)
from b2b.db.paging import decode_cursor, encode_cursor
from b2b.db.transactions import Transaction, TransactionCancelled
from b2b.domain.enrollments import DefaultEnrollmentIntention, DefaultEnrollmentRealization, Enrollment
from b2b.domain.errors import Conflict, NotFound
from b2b.domain.model import Page

RealizeOutcome = Literal["enrolled", "already_realized", "already_enrolled"]


def _intention_item(intention: DefaultEnrollmentIntention) -> DefaultEnrollmentIntentionItem:
    return DefaultEnrollmentIntentionItem(
        pk=keys.contract_pk(intention.contract_id),
        sk=keys.intention_sk(intention.id),
        intention_id=intention.id,
        contract_id=intention.contract_id,
        kind=intention.kind,
        content_key=intention.content_key,
        created_at=intention.created_at,
    )


def _to_intention(item: DefaultEnrollmentIntentionItem) -> DefaultEnrollmentIntention:
    return DefaultEnrollmentIntention(
        id=int(item.intention_id),
        contract_id=int(item.contract_id),
        kind="run" if item.kind == "run" else "course",
        content_key=item.content_key,
        created_at=item.created_at,
    )


def _to_realization(item: DefaultEnrollmentRealizationItem) -> DefaultEnrollmentRealization:
    return DefaultEnrollmentRealization(
        user_id=item.user_id,
        contract_id=int(item.contract_id),
        intention_id=int(item.intention_id),
        run_id=item.run_id,
        enrollment_existed=bool(item.enrollment_existed),
        realized_at=item.realized_at,
    )


def create_intention(intention: DefaultEnrollmentIntention) -> DefaultEnrollmentIntention:
    """Store an intention with a fresh id, if the contract exists and does not have this content key yet."""
    intention = DefaultEnrollmentIntention(
        id=next_id("default_enrollment"),
        contract_id=intention.contract_id,
        kind=intention.kind,
        content_key=intention.content_key,
        created_at=intention.created_at,
    )
    contract_pk = keys.contract_pk(intention.contract_id)
    tx = Transaction()
    tx.condition_check("contract", ContractItem, contract_pk, keys.CONTRACT_SK, ContractItem.pk.exists())
    tx.put("intention", _intention_item(intention), DefaultEnrollmentIntentionItem.pk.does_not_exist())
    guard = DefaultEnrollmentKeyItem(
        pk=contract_pk,
        sk=keys.intention_key_sk(intention.content_key),
        intention_id=intention.id,
        contract_id=intention.contract_id,
    )
    tx.put("content_key", guard, DefaultEnrollmentKeyItem.pk.does_not_exist())
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed("contract"):
            raise NotFound(
                f"contract {intention.contract_id} not found", code="contract_not_found"
            ) from cancelled
        if cancelled.failed("content_key"):
            raise Conflict(
                f"{intention.content_key} is already a default enrollment of this contract",
                code="duplicate_default_enrollment",
            ) from cancelled
        raise Conflict("the default enrollment could not be stored; retry") from cancelled
    return intention


def get_intention(contract_id: int, intention_id: int) -> DefaultEnrollmentIntention:
    with translate_errors():
        try:
            item = DefaultEnrollmentIntentionItem.get(
                keys.contract_pk(contract_id), keys.intention_sk(intention_id)
            )
        except DoesNotExist as exc:
            raise NotFound(
                f"default enrollment {intention_id} not found in contract {contract_id}",
                code="default_enrollment_not_found",
            ) from exc
    return _to_intention(item)


def delete_intention(intention: DefaultEnrollmentIntention) -> None:
    """Remove an intention and its guard (one transaction). Realizations stay: they are history."""
    tx = Transaction()
    item = _intention_item(intention)
    tx.delete("intention", item, DefaultEnrollmentIntentionItem.pk.exists())
    guard = DefaultEnrollmentKeyItem(pk=item.pk, sk=keys.intention_key_sk(intention.content_key))
    tx.delete("content_key", guard, DefaultEnrollmentKeyItem.intention_id == intention.id)
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        raise NotFound(
            f"default enrollment {intention.id} not found", code="default_enrollment_not_found"
        ) from cancelled


def list_intentions(contract_id: int) -> list[DefaultEnrollmentIntention]:
    """Every intention of a contract, in id order (one Query; a contract has a handful)."""
    with translate_errors():
        return [
            _to_intention(item)
            for item in DefaultEnrollmentIntentionItem.query(
                keys.contract_pk(contract_id),
                DefaultEnrollmentIntentionItem.sk.startswith(keys.INTENTION_SK_PREFIX),
            )
        ]


def list_intentions_page(
    contract_id: int, limit: int, cursor: str | None
) -> Page[DefaultEnrollmentIntention]:
    """One page of a contract's intentions (one Query)."""
    partition = keys.contract_pk(contract_id)
    with translate_errors():
        result = DefaultEnrollmentIntentionItem.query(
            partition,
            DefaultEnrollmentIntentionItem.sk.startswith(keys.INTENTION_SK_PREFIX),
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, ("pk", partition)),
        )
        items = [_to_intention(item) for item in result]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))


def _realization_item(realization: DefaultEnrollmentRealization) -> DefaultEnrollmentRealizationItem:
    return DefaultEnrollmentRealizationItem(
        pk=keys.user_pk(realization.user_id),
        sk=keys.realization_sk(realization.contract_id, realization.intention_id),
        user_id=realization.user_id,
        contract_id=realization.contract_id,
        intention_id=realization.intention_id,
        run_id=realization.run_id,
        enrollment_existed=realization.enrollment_existed,
        realized_at=realization.realized_at,
    )


def realize(realization: DefaultEnrollmentRealization, enrollment: Enrollment) -> RealizeOutcome:
    """Write the realization and the enrollment together, each only if absent.

    - ``enrolled``: both were written;
    - ``already_realized``: this intention was realized for the learner before (nothing written,
      even if they unenrolled since: that is how an unenrollment sticks);
    - ``already_enrolled``: the learner had an enrollment in the run (kept as it is, active or
      unenrolled); the realization alone is recorded, pointing at it.
    """
    realization_condition = DefaultEnrollmentRealizationItem.pk.does_not_exist()
    tx = Transaction()
    tx.put("realization", _realization_item(realization), realization_condition)
    tx.put("enrollment", enrollment_item(enrollment), DefaultEnrollmentRealizationItem.pk.does_not_exist())
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed("realization"):
            return "already_realized"
        if not cancelled.failed("enrollment"):
            raise Conflict("realizing a default enrollment collided with another change") from cancelled
    else:
        return "enrolled"
    existed = DefaultEnrollmentRealization(
        user_id=realization.user_id,
        contract_id=realization.contract_id,
        intention_id=realization.intention_id,
        run_id=realization.run_id,
        enrollment_existed=True,
        realized_at=realization.realized_at,
    )
    with translate_errors():
        try:
            _realization_item(existed).save(condition=realization_condition)
        except PutError as exc:
            if exc.cause_response_code == CONDITION_FAILED:
                return "already_realized"
            raise
    return "already_enrolled"


def list_realizations(user_id: str) -> list[DefaultEnrollmentRealization]:
    """Every realization of a learner (one Query on their partition)."""
    with translate_errors():
        return [
            _to_realization(item)
            for item in DefaultEnrollmentRealizationItem.query(
                keys.user_pk(user_id),
                DefaultEnrollmentRealizationItem.sk.startswith(keys.REALIZATION_SK_PREFIX),
            )
        ]
