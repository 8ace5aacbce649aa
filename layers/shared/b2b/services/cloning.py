"""Cloning contract runs in Open edX Studio, one queued request at a time (the cloner's logic).

Kept apart from :mod:`b2b.services.courseware` so the admin API, which only queues clones, never
loads the HTTP client.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from b2b import queues
from b2b.db import catalog as catalog_repo
from b2b.db import clones as repo
from b2b.domain.courseware import CloneStatus
from b2b.domain.errors import NotFound
from b2b.domain.model import utcnow
from b2b.observability import logger
from b2b.openedx import OpenEdxClient, StudioRejected, StudioUnavailable

# A cloner holds a run this long; longer than one Lambda invocation can talk to Studio.
CLONE_LEASE = timedelta(minutes=2)

CloneResult = Literal["cloned", "failed", "already_done", "not_found"]


class CloneInProgress(Exception):
    """Another delivery holds the run's clone lease; try this message again later."""


def clone_contract_run(request: queues.CloneRunRequest, studio: OpenEdxClient) -> CloneResult:
    """Clone one contract run in Studio, exactly once however often the request is delivered.

    The run moves pending → cloning under a lease (one conditional update), so concurrent
    deliveries do not both call Studio, and a finished run is never cloned again. Studio saying
    the destination exists (an earlier attempt got through) counts as cloned. A permanent refusal
    marks the run ``failed`` with the reason; a transient failure puts it back to ``pending`` and
    raises :class:`StudioUnavailable` so the queue retries it.
    """
    now = utcnow()
    run = repo.claim_clone(request.run_id, now, now + CLONE_LEASE)
    if run is None:
        try:
            current = catalog_repo.get_run(request.run_id)
        except NotFound:
            logger.warning("clone requested for an unknown run", extra={"run_id": request.run_id})
            return "not_found"
        if current.clone_status is CloneStatus.CLONING:
            raise CloneInProgress(request.run_id)
        return "already_done"
    if run.source_run_id is None:
        repo.finish_clone(run.id, run.clone_attempts, CloneStatus.FAILED, "the run has no source run")
        return "failed"
    try:
        outcome = studio.clone_course_run(run.source_run_id, run.id)
    except StudioRejected as rejected:
        repo.finish_clone(run.id, run.clone_attempts, CloneStatus.FAILED, rejected.reason)
        logger.warning("Studio refused a clone", extra={"run_id": run.id, "reason": rejected.reason})
        return "failed"
    except StudioUnavailable as unavailable:
        repo.finish_clone(run.id, run.clone_attempts, CloneStatus.PENDING, unavailable.reason)
        raise
    repo.finish_clone(run.id, run.clone_attempts, CloneStatus.CLONED, None)
    logger.info("contract run cloned", extra={"run_id": run.id, "outcome": outcome})
    return "cloned"
