"""A signed-in learner's own view (the contracts they belong to, their enrollments, unenrolling),
and the email that finds their LMS account."""

from __future__ import annotations

from typing import Literal

from b2b.db import enrollments, lms_sync, memberships
from b2b.domain.model import Enrollment, Membership, Page, utcnow


def remember_email(user_id: str, email: str, source: Literal["sso", "admin"]) -> None:
    """Keep the email a sign-in or an operator gave for the learner: their enrollments made without a
    checkout (SSO, admin, default enrollments) find the LMS account by it."""
    lms_sync.save_learner_email(user_id, email.strip(), source, utcnow())


def contracts_of(user_id: str, limit: int, cursor: str | None) -> Page[Membership]:
    """The learner's memberships, newest first, one page at a time."""
    return memberships.list_contracts_of_learner(user_id, limit, cursor)


def enrollments_of(user_id: str, limit: int, cursor: str | None) -> Page[Enrollment]:
    """The learner's enrollments (active and ended), one page at a time."""
    return enrollments.list_enrollments(user_id, limit, cursor)


def unenroll(user_id: str, run_id: str) -> Enrollment:
    """End the learner's enrollment in a run. The row is kept as ``unenrolled``, so a default
    enrollment never brings the learner back on its own."""
    return enrollments.unenroll(user_id, run_id)
