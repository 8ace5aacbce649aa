"""Clone state of a contract run: the lease a courseware cloner holds while Studio copies the run.

Apart from the attachment machinery in :mod:`b2b.db.courseware`, so the cloner, which needs only
these two conditional updates, does not load it (or the repositories it draws on) at cold start.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from b2b.db import keys
from b2b.db.catalog import to_run
from b2b.db.errors import CONDITION_FAILED, translate_errors
from b2b.db.models import CourseRunItem
from b2b.domain.courseware import CloneStatus, CourseRun
from b2b.domain.errors import Conflict


def claim_clone(run_id: str, now: datetime, lease_until: datetime) -> CourseRun | None:
    """Move a run from ``pending`` (or ``cloning`` with an expired lease) to ``cloning``.

    One conditional UpdateItem, so of several deliveries of the same request only one holds the
    lease at a time. Returns the claimed run (``clone_attempts`` identifies this claim), or None
    when the run is in another state.
    """
    item = CourseRunItem(pk=keys.run_pk(run_id), sk=keys.RUN_SK)
    status = CourseRunItem.clone_status
    condition = CourseRunItem.pk.exists() & (
        (status == CloneStatus.PENDING.value)
        | ((status == CloneStatus.CLONING.value) & (CourseRunItem.clone_lease_until < now))
    )
    try:
        with translate_errors():
            item.update(
                actions=[
                    status.set(CloneStatus.CLONING.value),
                    CourseRunItem.clone_lease_until.set(lease_until),
                    CourseRunItem.clone_attempts.add(1),
                ],
                condition=condition,
            )
    except Conflict:
        return None
    return to_run(item)


def finish_clone(run_id: str, attempt: int, status: CloneStatus, error: str | None) -> bool:
    """Record the outcome of claim ``attempt``: ``cloned``, ``failed`` (with the reason) or back to
    ``pending`` (a transient failure, retried later). False when the claim was lost meanwhile."""
    item = CourseRunItem(pk=keys.run_pk(run_id), sk=keys.RUN_SK)
    actions: list[Any] = [
        CourseRunItem.clone_status.set(status.value),
        CourseRunItem.clone_lease_until.remove(),
        CourseRunItem.clone_error.remove() if error is None else CourseRunItem.clone_error.set(error[:1000]),
    ]
    condition = (CourseRunItem.clone_status == CloneStatus.CLONING.value) & (
        CourseRunItem.clone_attempts == attempt
    )
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == CONDITION_FAILED:
            return False
        with translate_errors():
            raise
    return True
