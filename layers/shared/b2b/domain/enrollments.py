"""Learners' enrollments in course runs, and the default enrollments a contract gives its learners.

Apart from :mod:`b2b.domain.model`, so functions that never enroll anyone (the code reconciler, the
courseware cloner) do not build these types at cold start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

EnrollmentStatus = Literal["active", "unenrolled"]


@dataclass(frozen=True)
class Enrollment:
    """A learner's enrollment in one course run; ``source`` says which path made it."""

    user_id: str
    run_id: str
    contract_id: int | None
    product_id: int | None
    source: str  # checkout | default_enrollment | admin
    status: EnrollmentStatus
    enrolled_at: datetime
    # Where the LMS stands (see b2b.domain.lms): pending until the sync worker has been through.
    lms_state: str = "pending"
    lms_error: str | None = None


IntentionKind = Literal["course", "run"]


@dataclass(frozen=True)
class DefaultEnrollmentIntention:
    """Learners of a contract get enrolled in this course (its current contract run) or this run."""

    id: int
    contract_id: int
    kind: IntentionKind
    content_key: str
    created_at: datetime


@dataclass(frozen=True)
class DefaultEnrollmentRealization:
    """An intention realized for one learner, and the run it enrolled them in."""

    user_id: str
    contract_id: int
    intention_id: int
    run_id: str
    enrollment_existed: bool
    realized_at: datetime
