"""Enrollments of a learner: one item per course run in the learner's partition."""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from b2b.db import keys
from b2b.db.errors import CONDITION_FAILED, translate_errors
from b2b.db.models import EnrollmentItem
from b2b.db.paging import decode_cursor, encode_cursor
from b2b.domain.enrollments import Enrollment
from b2b.domain.errors import NotFound
from b2b.domain.lms import lms_state_of
from b2b.domain.model import Page


def enrollment_item(enrollment: Enrollment) -> EnrollmentItem:
    """The item for ``enrollment``; callers put it (conditionally) in their own transaction."""
    return EnrollmentItem(
        pk=keys.user_pk(enrollment.user_id),
        sk=keys.enrollment_sk(enrollment.run_id),
        user_id=enrollment.user_id,
        run_id=enrollment.run_id,
        contract_id=enrollment.contract_id,
        product_id=enrollment.product_id,
        source=enrollment.source,
        status=enrollment.status,
        enrolled_at=enrollment.enrolled_at,
    )


def to_enrollment(item: EnrollmentItem) -> Enrollment:
    return Enrollment(
        user_id=item.user_id,
        run_id=item.run_id,
        contract_id=int(item.contract_id) if item.contract_id is not None else None,
        product_id=int(item.product_id) if item.product_id is not None else None,
        source=item.source,
        status="unenrolled" if item.status == "unenrolled" else "active",
        enrolled_at=item.enrolled_at,
        lms_state=lms_state_of(item.status, item.lms_state, item.lms_status),
        lms_error=item.lms_error,
    )


def list_enrollments(user_id: str, limit: int, cursor: str | None) -> Page[Enrollment]:
    """A learner's enrollments, one Query on their partition per page."""
    partition = keys.user_pk(user_id)
    with translate_errors():
        result = EnrollmentItem.query(
            partition,
            EnrollmentItem.sk.startswith(keys.ENROLLMENT_SK_PREFIX),
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, ("pk", partition)),
        )
        items = [to_enrollment(item) for item in result]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))


def all_enrollments(user_id: str) -> list[Enrollment]:
    """Every enrollment of a learner (one Query per 1 MB page)."""
    with translate_errors():
        return [
            to_enrollment(item)
            for item in EnrollmentItem.query(
                keys.user_pk(user_id), EnrollmentItem.sk.startswith(keys.ENROLLMENT_SK_PREFIX)
            )
        ]


def unenroll(user_id: str, run_id: str) -> Enrollment:
    """Mark an enrollment unenrolled (kept, so default enrollment never recreates it); one UpdateItem."""
    item = EnrollmentItem(pk=keys.user_pk(user_id), sk=keys.enrollment_sk(run_id))
    with translate_errors():
        try:
            item.update(
                actions=[EnrollmentItem.status.set("unenrolled")], condition=EnrollmentItem.pk.exists()
            )
        except UpdateError as exc:
            if exc.cause_response_code == CONDITION_FAILED:
                raise NotFound(f"no enrollment in run {run_id}", code="enrollment_not_found") from exc
            raise
    return to_enrollment(item)
