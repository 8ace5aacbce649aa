"""Sending enrollments to the Open edX LMS, one queued enrollment at a time (the sync worker's logic).

The message names an enrollment, not a change: the worker reads the enrollment's current status,
tells the LMS, and records the result conditional on that status being unchanged. A late, repeated
or overtaken message therefore sends what the table says now, and a status that changed while the
LMS was being called is sent again, so the LMS ends where the table ends.
"""

from __future__ import annotations

from typing import Literal

from b2b import queues
from b2b.db import lms_sync as repo
from b2b.domain.lms import EnrollmentSync, LmsAccount
from b2b.domain.model import utcnow
from b2b.observability import logger, metrics
from b2b.openedx import LmsRejected, OpenEdxClient

SyncResult = Literal["synced", "failed", "not_configured", "already_synced", "not_found"]
# Re-reads when the enrollment keeps changing under the worker; then the message is retried.
MAX_PASSES = 5


class EnrollmentKeptChanging(Exception):
    """The enrollment changed on every pass; the queue retries the message later."""


def sync_enrollment(request: queues.LmsSyncRequest, lms: OpenEdxClient | None, mode: str) -> SyncResult:
    """Bring the LMS in line with one enrollment. Transient LMS failures raise (the queue retries);
    a refusal records ``failed`` with the LMS's reason."""
    resend = False
    for _ in range(MAX_PASSES):
        enrollment = repo.get_enrollment_sync(request.user_id, request.run_id)
        if enrollment is None:
            return "not_found"
        if enrollment.lms_state == "synced" and not resend:
            return "already_synced"
        error: str | None = None
        if lms is None:
            state: Literal["synced", "failed", "not_configured"] = "not_configured"
        else:
            try:
                username = _username(enrollment, lms)
                lms.set_enrollment(username, enrollment.run_id, mode, enrollment.active)
                state = "synced"
            except LmsRejected as exc:
                state, error = "failed", exc.reason
        try:
            repo.record_lms_result(
                enrollment.user_id,
                enrollment.run_id,
                for_status=enrollment.status,
                state=state,
                error=error,
                now=utcnow(),
            )
        except repo.EnrollmentChanged:
            # Another delivery may have synced the new status before this call reached the LMS
            # with the old one: send the current status again, whatever its recorded state.
            logger.info("enrollment changed during its LMS sync; syncing again")
            resend = True
            continue
        if state == "failed":
            metrics.add_metric(name="LmsSyncFailed", unit="Count", value=1)
            logger.warning("LMS refused the enrollment", extra={"reason": error})
        return state
    raise EnrollmentKeptChanging(f"{request.user_id} {request.run_id} changed {MAX_PASSES} times")


def _username(enrollment: EnrollmentSync, lms: OpenEdxClient) -> str:
    """The learner's LMS username: cached, else looked up by email (the enrollment's, else the one a
    sign-in or an operator gave) and cached."""
    account = repo.get_lms_account(enrollment.user_id)
    if account is not None and enrollment.email in (None, account.email):
        return account.username
    email = enrollment.email or repo.get_learner_email(enrollment.user_id)
    if email is None:
        raise LmsRejected(
            "the learner's email is unknown, so is their LMS account (it is learned at checkout or "
            "SSO sign-in, or given when an operator adds the learner)"
        )
    username = lms.username_for_email(email)
    repo.save_lms_account(LmsAccount(user_id=enrollment.user_id, email=email, username=username), utcnow())
    return username
