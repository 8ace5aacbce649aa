"""The LMS side of an enrollment: what the LMS was last told, and what that means to a reader.

The sync worker records, next to the enrollment, the state of its last attempt (``synced``,
``failed``, ``not_configured``) and the enrollment status that attempt was about. A state about an
older status is stale: the enrollment changed since, and its next sync is on the way (``pending``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LmsState = Literal["pending", "synced", "failed", "not_configured"]
LMS_STATES: tuple[LmsState, ...] = ("pending", "synced", "failed", "not_configured")


def lms_state_of(status: str, recorded_state: str | None, recorded_for_status: str | None) -> LmsState:
    """The LMS state to show for an enrollment in ``status``."""
    if recorded_state is None or recorded_for_status != status:
        return "pending"
    for state in LMS_STATES:
        if state == recorded_state:
            return state
    return "pending"


@dataclass(frozen=True)
class EnrollmentSync:
    """What the LMS sync worker needs of one enrollment, read in one GetItem."""

    user_id: str
    run_id: str
    contract_id: int | None
    status: str  # active | unenrolled
    email: str | None
    lms_state: LmsState
    lms_error: str | None

    @property
    def active(self) -> bool:
        return self.status != "unenrolled"


@dataclass(frozen=True)
class LmsAccount:
    """A learner's LMS account as resolved by email (cached in the learner's partition)."""

    user_id: str
    email: str
    username: str
