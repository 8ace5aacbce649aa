"""A signed-in learner's own view: the contracts they belong to, their enrollments, unenrolling."""

from __future__ import annotations

from b2b.db import enrollments, memberships
from b2b.domain.enrollments import Enrollment
from b2b.domain.model import Membership, Page


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
