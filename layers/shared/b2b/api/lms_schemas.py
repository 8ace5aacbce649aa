"""Bodies of the admin LMS sync routes."""

from __future__ import annotations

from typing import Literal

from b2b.api.base import Schema
from b2b.domain.lms import EnrollmentSync
from b2b.services.lms_retry import RetryOutcome


class EnrollmentSyncOut(Schema):
    user_id: str
    run_id: str
    status: str
    lms_state: Literal["pending", "synced", "failed", "not_configured"]
    lms_error: str | None

    @classmethod
    def of(cls, enrollment: EnrollmentSync) -> EnrollmentSyncOut:
        return cls(
            user_id=enrollment.user_id,
            run_id=enrollment.run_id,
            status=enrollment.status,
            lms_state=enrollment.lms_state,
            lms_error=enrollment.lms_error,
        )


class LmsSyncRetryOut(Schema):
    """Enrollments queued for another LMS sync (their state before the retry) and how many were
    already synced (left alone)."""

    queued: list[EnrollmentSyncOut]
    already_synced: int

    @classmethod
    def of(cls, outcome: RetryOutcome) -> LmsSyncRetryOut:
        return cls(
            queued=[EnrollmentSyncOut.of(e) for e in outcome.queued], already_synced=outcome.already_synced
        )


class EnrollmentSyncPage(Schema):
    items: list[EnrollmentSyncOut]
