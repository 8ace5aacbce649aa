"""Bodies of the learner API, the admin routes for learners and default enrollments, and the
Keycloak webhook."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from b2b.api.base import Schema, StrictBody
from b2b.domain.model import DefaultEnrollmentIntention, Enrollment, Membership
from b2b.services.default_enrollments import IntentionStatus, LearnerDefaultEnrollments

ContentKey = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255, pattern=r"^\S+$")
]
UserId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\s/]+$")]


class MembershipOut(Schema):
    contract_id: int
    user_id: str
    source: str
    attached_at: datetime

    @classmethod
    def of(cls, membership: Membership) -> MembershipOut:
        return cls(
            contract_id=membership.contract_id,
            user_id=membership.user_id,
            source=membership.source,
            attached_at=membership.attached_at,
        )


class MembershipPage(Schema):
    items: list[MembershipOut]
    next_cursor: str | None


class EnrollmentOut(Schema):
    run_id: str
    contract_id: int | None
    product_id: int | None
    source: str
    status: str
    enrolled_at: datetime
    lms_state: Literal["pending", "synced", "failed", "not_configured"] = Field(
        description="Where the Open edX LMS stands on this enrollment's current status"
    )
    lms_error: str | None = Field(None, description="Why the LMS refused it (lms_state failed)")

    @classmethod
    def of(cls, enrollment: Enrollment) -> EnrollmentOut:
        return cls(
            run_id=enrollment.run_id,
            contract_id=enrollment.contract_id,
            product_id=enrollment.product_id,
            source=enrollment.source,
            status=enrollment.status,
            enrolled_at=enrollment.enrolled_at,
            lms_state=enrollment.lms_state,
            lms_error=enrollment.lms_error,
        )


class EnrollmentPage(Schema):
    items: list[EnrollmentOut]
    next_cursor: str | None


class IntentionStatusOut(Schema):
    contract_id: int
    intention_id: int
    kind: str
    content_key: str
    run_id: str | None
    enrollment_status: str | None = None
    reason: str | None = Field(None, description="why the run cannot be enrolled in (not_enrollable only)")
    message: str | None = None

    @classmethod
    def of(cls, status: IntentionStatus) -> IntentionStatusOut:
        return cls(**status.__dict__)


class LearnerDefaultEnrollmentsOut(Schema):
    already_enrolled: list[IntentionStatusOut]
    enrollable: list[IntentionStatusOut]
    not_enrollable: list[IntentionStatusOut]

    @classmethod
    def of(cls, status: LearnerDefaultEnrollments) -> LearnerDefaultEnrollmentsOut:
        return cls(
            already_enrolled=[IntentionStatusOut.of(s) for s in status.already_enrolled],
            enrollable=[IntentionStatusOut.of(s) for s in status.enrollable],
            not_enrollable=[IntentionStatusOut.of(s) for s in status.not_enrollable],
        )


class DefaultEnrollmentCreate(StrictBody):
    """Give exactly one: ``course_id`` (enroll in the contract's current run of it) or ``run_id``."""

    course_id: ContentKey | None = None
    run_id: ContentKey | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.course_id is None) == (self.run_id is None):
            raise ValueError("give exactly one of course_id or run_id")
        return self

    @property
    def kind(self) -> Literal["course", "run"]:
        return "course" if self.course_id is not None else "run"

    @property
    def content_key(self) -> str:
        return self.course_id or self.run_id or ""


class DefaultEnrollmentOut(Schema):
    id: int
    contract_id: int
    kind: str
    content_key: str
    created_at: datetime

    @classmethod
    def of(cls, intention: DefaultEnrollmentIntention) -> DefaultEnrollmentOut:
        return cls(
            id=intention.id,
            contract_id=intention.contract_id,
            kind=intention.kind,
            content_key=intention.content_key,
            created_at=intention.created_at,
        )


class DefaultEnrollmentPage(Schema):
    items: list[DefaultEnrollmentOut]
    next_cursor: str | None


class KeycloakOrganizationRef(Schema):
    id: str = Field(min_length=1, max_length=200)


class KeycloakLoginEvent(Schema):
    """A Keycloak event as the event-listener webhook posts it (fields we do not use are ignored).

    ``organization`` has the token claim's shape; ``{}`` says the user is in no organization.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    type: str = Field(min_length=1, max_length=100)
    user_id: str = Field(alias="userId", min_length=1, max_length=128)
    organization: dict[str, KeycloakOrganizationRef]


class KeycloakHookOut(Schema):
    status: Literal["processed", "ignored"]
    attached: list[int] = Field(default_factory=list)
    already_attached: list[int] = Field(default_factory=list)
    full: list[int] = Field(default_factory=list)
    detached: list[int] = Field(default_factory=list)
