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


# An address with one @, a dot in its domain and no spaces: enough to find an LMS account by it.
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    Field(description="the learner's email, which finds their LMS account", examples=["ada@example.edu"]),
]


class LearnerAttach(StrictBody):
    """Optional body of attaching a learner by hand."""

    email: Email | None = None


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


class KeycloakOrganizationRef(Schema):
    id: str = Field(min_length=1, max_length=200)


class KeycloakAuthDetails(Schema):
    """Who an event is about (user events) or who acted (admin events)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    user_id: str | None = Field(None, alias="userId", max_length=128)
    realm_id: str | None = Field(None, alias="realmId", max_length=200)
    client_id: str | None = Field(None, alias="clientId", max_length=200)


class KeycloakEvent(Schema):
    """A Keycloak event as a webhook posts it; fields we do not use are ignored.

    The keycloak-events extension sends ``id``, ``time`` (epoch milliseconds), ``type``
    (``access.LOGIN``, ``admin.ORGANIZATION_MEMBERSHIP-DELETE``...), ``authDetails.userId`` and, for
    admin events, ``resourcePath``; no organization. The older signed format sends ``userId`` and
    ``organization`` (the token claim's map shape; ``{}``: in no organization).
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str | None = Field(None, min_length=1, max_length=200)
    time: int | None = Field(None, ge=0, description="epoch milliseconds")
    type: str = Field(min_length=1, max_length=100)
    user_id: str | None = Field(None, alias="userId", min_length=1, max_length=128)
    auth_details: KeycloakAuthDetails | None = Field(None, alias="authDetails")
    organization: dict[str, KeycloakOrganizationRef] | list[str] | None = None
    resource_path: str | None = Field(None, alias="resourcePath", max_length=1000)

    @property
    def subject(self) -> str | None:
        """The user a user event is about (admin events name theirs in ``resourcePath``)."""
        return self.user_id or (self.auth_details.user_id if self.auth_details else None)


class KeycloakHookOut(Schema):
    status: Literal["processed", "queued", "duplicate", "ignored"]
    reason: str | None = None
    attached: list[int] = Field(default_factory=list)
    already_attached: list[int] = Field(default_factory=list)
    full: list[int] = Field(default_factory=list)
    detached: list[int] = Field(default_factory=list)
    unknown_organizations: list[str] = Field(default_factory=list)
