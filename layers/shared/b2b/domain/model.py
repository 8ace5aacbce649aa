"""Plain domain types shared by the services and the data layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class MembershipType(StrEnum):
    """How learners join a contract."""

    AUTO = "auto"  # attached on SSO login (a code is still needed when the contract has a price)
    CODE = "code"  # attached by redeeming an enrollment code
    MANAGED = "managed"  # a code and an SSO login through the organization

    @classmethod
    def parse(cls, value: str) -> MembershipType:
        """Accept the canonical names and the older aliases ``sso`` and ``non-sso``."""
        normalized = value.strip().lower()
        return cls(_MEMBERSHIP_ALIASES.get(normalized, normalized))


_MEMBERSHIP_ALIASES = {"sso": "auto", "non-sso": "code", "non_sso": "code"}
MEMBERSHIP_TYPE_INPUTS = ("auto", "code", "managed", "sso", "non-sso")


@dataclass(frozen=True)
class Organization:
    id: int
    name: str
    slug: str
    org_key: str
    org_key_prefix: str
    sso_organization_id: str | None
    description: str
    created_at: datetime
    updated_at: datetime
    version: int
    # Further identifiers an identity provider may name the organization by (a Keycloak alias, a
    # Cognito or SAML attribute value); each resolves like ``sso_organization_id``.
    sso_aliases: tuple[str, ...] = ()

    @property
    def sso_identifiers(self) -> tuple[str, ...]:
        """Every identifier that names this organization at login."""
        primary = (self.sso_organization_id,) if self.sso_organization_id else ()
        return primary + tuple(a for a in self.sso_aliases if a != self.sso_organization_id)


@dataclass(frozen=True)
class Contract:
    id: int
    organization_id: int
    name: str
    slug: str
    description: str
    membership_type: MembershipType
    start: datetime | None
    end: datetime | None
    active: bool
    max_learners: int | None
    price: Decimal | None
    welcome_message: str
    created_at: datetime
    updated_at: datetime
    version: int
    # Bumped on every change of terms (see :attr:`terms`); codes record the version they were
    # issued under, checkouts and attaches condition their writes on the version they judged with.
    terms_version: int = 0

    @property
    def terms(self) -> tuple[object, ...]:
        """What a learner is sold under: price, membership type, dates, active flag and cap.

        A change of any of these is a change of terms (name, description or welcome message are not).
        """
        price = self.price if self.price is not None and self.price > 0 else Decimal(0)
        return (price, self.membership_type, self.start, self.end, self.active, self.max_learners)

    def is_open(self, now: datetime) -> bool:
        """Active and within ``start <= now < end`` (a missing bound is open on that side)."""
        if not self.active:
            return False
        if self.start is not None and now < self.start:
            return False
        return not (self.end is not None and now >= self.end)

    @property
    def is_priced(self) -> bool:
        return self.price is not None and self.price > 0

    @property
    def needs_codes(self) -> bool:
        """Codes exist for code and managed contracts, and for any contract with a price."""
        return self.membership_type is not MembershipType.AUTO or self.is_priced


@dataclass(frozen=True)
class Page[T]:
    """One page of a list, with an opaque cursor for the next page (None on the last page)."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class ContractFilters:
    """What a contract list keeps: one membership type, and open (True) or closed (False) contracts
    as :meth:`Contract.is_open` judges them at ``now`` (None: the time of the query)."""

    membership_type: MembershipType | None = None
    open: bool | None = None
    now: datetime | None = None


@dataclass(frozen=True)
class OrganizationSearch:
    """An organization search: ``text`` as typed, its ``slug`` form (matches names whatever their
    case or punctuation) and its ``key`` form (matches org keys)."""

    text: str
    slug: str
    key: str


MembershipSource = Literal["code", "sso", "admin"]


@dataclass(frozen=True)
class Membership:
    """A learner attached to a contract; ``source`` is how they got in."""

    contract_id: int
    user_id: str
    source: MembershipSource
    code: str | None
    attached_at: datetime


@dataclass(frozen=True)
class SeenOrganizations:
    """The SSO organizations a learner's identity provider named at their last login."""

    user_id: str
    organization_ids: frozenset[str]
    seen_at: datetime


@dataclass(frozen=True)
class Product:
    """What checkout sells: one per contract run."""

    id: int
    contract_id: int
    run_id: str
    course_id: str
    title: str
    price: Decimal
    active: bool
    created_at: datetime
    # The run's enrollment window (None = open on that side), copied from the run when created.
    run_start: datetime | None = None
    run_end: datetime | None = None


# --- catalog and courseware ------------------------------------------------------------------


class CloneStatus(StrEnum):
    """Where a contract run stands in being cloned in Open edX Studio."""

    NOT_REQUESTED = "not_requested"  # no Open edX settings, a run assigned as is, or not cloned
    PENDING = "pending"  # queued for the cloner
    CLONING = "cloning"  # a cloner holds the lease and is talking to Studio
    CLONED = "cloned"
    FAILED = "failed"  # Studio refused it for good; ``clone_error`` says why


class CoursewareKind(StrEnum):
    COURSE = "course"
    COURSE_RUN = "course_run"
    PROGRAM = "program"


@dataclass(frozen=True)
class Course:
    """A catalog course (readable id ``course-v1:ORG+NUMBER``)."""

    id: str
    title: str
    source_run_id: str | None
    first_run_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class CourseRun:
    """A catalog course run (readable id ``course-v1:ORG+NUMBER+RUN``); contract runs are runs too."""

    id: str
    course_id: str
    run_tag: str
    title: str
    start: datetime | None
    end: datetime | None
    self_paced: bool
    live: bool
    created_at: datetime
    contract_id: int | None = None
    attached_via: str | None = None
    product_id: int | None = None
    source_run_id: str | None = None
    clone_status: CloneStatus = CloneStatus.NOT_REQUESTED
    clone_error: str | None = None
    clone_attempts: int = 0


@dataclass(frozen=True)
class Program:
    """A catalog program: its required courses, in order."""

    id: str
    title: str
    course_ids: list[str]
    created_at: datetime


@dataclass(frozen=True)
class CoursewareLink:
    """A course, course run or program attached to a contract."""

    contract_id: int
    courseware_id: str
    kind: CoursewareKind
    runs_created: bool
    attached_at: datetime


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
