"""Admin retry of LMS syncs: queue again the enrollments of a learner or a contract whose LMS state
is not ``synced`` (failed, not configured, or still pending)."""

from __future__ import annotations

from dataclasses import dataclass

from b2b import queues
from b2b.db import contracts as contract_repo
from b2b.db import lms_sync as repo
from b2b.domain.lms import EnrollmentSync


@dataclass(frozen=True)
class RetryOutcome:
    queued: list[EnrollmentSync]
    already_synced: int


def _queue(enrollments: list[EnrollmentSync]) -> RetryOutcome:
    retry = [e for e in enrollments if e.lms_state != "synced"]
    queues.request_lms_sync(
        [queues.LmsSyncRequest(user_id=e.user_id, run_id=e.run_id, reason="retry") for e in retry]
    )
    return RetryOutcome(queued=retry, already_synced=len(enrollments) - len(retry))


def enrollments_in_contract(contract_id: int, user_id: str) -> list[EnrollmentSync]:
    """A learner's enrollments in the runs of ``contract_id`` with their LMS state (404 for an
    unknown contract)."""
    contract_repo.get_contract(contract_id)
    return [e for e in repo.enrollments_of_learner(user_id) if e.contract_id == contract_id]


def retry_learner(contract_id: int, user_id: str) -> RetryOutcome:
    """Queue the unsynced enrollments of one learner in ``contract_id`` (404 for an unknown contract)."""
    return _queue(enrollments_in_contract(contract_id, user_id))


def retry_contract(contract_id: int) -> RetryOutcome:
    """Queue the unsynced enrollments of every learner of ``contract_id``."""
    contract_repo.get_contract(contract_id)
    enrollments: list[EnrollmentSync] = []
    for user_id in repo.learners_of_contract(contract_id):
        enrollments += [e for e in repo.enrollments_of_learner(user_id) if e.contract_id == contract_id]
    return _queue(enrollments)
