"""The LMS sync state of enrollments, and the learner's cached LMS account."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from b2b.db import keys
from b2b.db.errors import CONDITION_FAILED, translate_errors
from b2b.db.models import EnrollmentItem, LearnerEmailItem, LmsAccountItem, MembershipItem
from b2b.domain.lms import EnrollmentSync, LmsAccount, LmsState, lms_state_of


class EnrollmentChanged(Exception):
    """The enrollment's status is no longer the one the LMS was just told: sync it again."""


def get_enrollment_sync(user_id: str, run_id: str) -> EnrollmentSync | None:
    """One consistent GetItem; None when there is no such enrollment."""
    with translate_errors():
        try:
            item = EnrollmentItem.get(keys.user_pk(user_id), keys.enrollment_sk(run_id), consistent_read=True)
        except DoesNotExist:
            return None
    return _to_sync(item)


def _to_sync(item: EnrollmentItem) -> EnrollmentSync:
    return EnrollmentSync(
        user_id=item.user_id,
        run_id=item.run_id,
        contract_id=int(item.contract_id) if item.contract_id is not None else None,
        status=item.status,
        email=item.email,
        lms_state=lms_state_of(item.status, item.lms_state, item.lms_status),
        lms_error=item.lms_error,
    )


def record_lms_result(
    user_id: str, run_id: str, *, for_status: str, state: LmsState, error: str | None, now: datetime
) -> None:
    """Record the result of telling the LMS about ``for_status``: one UpdateItem conditional on the
    enrollment still having that status (else :class:`EnrollmentChanged`), so a slow worker never
    records an old answer over a newer change."""
    item = EnrollmentItem(pk=keys.user_pk(user_id), sk=keys.enrollment_sk(run_id))
    actions: list[Action] = [
        EnrollmentItem.lms_state.set(state),
        EnrollmentItem.lms_status.set(for_status),
        EnrollmentItem.lms_synced_at.set(now),
        EnrollmentItem.lms_error.set(error) if error else EnrollmentItem.lms_error.remove(),
    ]
    with translate_errors():
        try:
            item.update(actions=actions, condition=EnrollmentItem.status == for_status)
        except UpdateError as exc:
            if exc.cause_response_code == CONDITION_FAILED:
                raise EnrollmentChanged(f"{user_id} {run_id} is no longer {for_status}") from exc
            raise


def get_lms_account(user_id: str) -> LmsAccount | None:
    with translate_errors():
        try:
            item = LmsAccountItem.get(keys.user_pk(user_id), keys.LMS_ACCOUNT_SK)
        except DoesNotExist:
            return None
    return LmsAccount(user_id=item.user_id, email=item.email, username=item.lms_username)


def save_lms_account(account: LmsAccount, now: datetime) -> None:
    """Cache the resolved username (a plain put: the latest resolution wins)."""
    with translate_errors():
        LmsAccountItem(
            pk=keys.user_pk(account.user_id),
            sk=keys.LMS_ACCOUNT_SK,
            user_id=account.user_id,
            email=account.email,
            lms_username=account.username,
            resolved_at=now,
        ).save()


def save_learner_email(user_id: str, email: str, source: str, now: datetime) -> None:
    """Keep the learner's email (a plain put: the latest sign-in or operator wins)."""
    with translate_errors():
        LearnerEmailItem(
            pk=keys.user_pk(user_id),
            sk=keys.LEARNER_EMAIL_SK,
            user_id=user_id,
            email=email,
            source=source,
            recorded_at=now,
        ).save()


def get_learner_email(user_id: str) -> str | None:
    with translate_errors():
        try:
            return str(LearnerEmailItem.get(keys.user_pk(user_id), keys.LEARNER_EMAIL_SK).email)
        except DoesNotExist:
            return None


def enrollments_of_learner(user_id: str) -> list[EnrollmentSync]:
    """Every enrollment of a learner with its LMS state (one Query per 1 MB page)."""
    with translate_errors():
        return [
            _to_sync(item)
            for item in EnrollmentItem.query(
                keys.user_pk(user_id), EnrollmentItem.sk.startswith(keys.ENROLLMENT_SK_PREFIX)
            )
        ]


def learners_of_contract(contract_id: int) -> list[str]:
    """Ids of a contract's learners (one Query per 1 MB page of its partition)."""
    with translate_errors():
        return [
            item.user_id
            for item in MembershipItem.query(
                keys.contract_pk(contract_id),
                MembershipItem.sk.startswith(keys.MEMBERSHIP_SK_PREFIX),
                attributes_to_get=["user_id"],
            )
        ]
