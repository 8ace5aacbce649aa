"""Request and response bodies of the admin API (organizations and contracts)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
)

from b2b.api.base import PatchBody, Schema, StrictBody, not_null
from b2b.domain.model import MEMBERSHIP_TYPE_INPUTS, Contract, MembershipType, Organization

# Dates the API accepts: wide enough for any contract or course run, narrow enough that converting
# a far offset to UTC (9999-12-31T23:00-05:00) or adding a validity window never overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


def _as_utc(value: datetime) -> datetime:
    try:
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise ValueError("must be between 1970-01-01T00:00:00Z and 2999-12-31T23:59:59Z")
    return utc


def _membership(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in MEMBERSHIP_TYPE_INPUTS:
        return MembershipType.parse(value)
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=5000)]
OrgKey = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_]{1,30}$")]
OrgKeyPrefix = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_]{0,20}$")]
SsoId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
SsoAliases = Annotated[
    tuple[SsoId, ...],
    AfterValidator(lambda aliases: tuple(dict.fromkeys(aliases))),
    Field(
        max_length=10,
        description="further identifiers an identity provider may send for the organization "
        "(a Keycloak organization alias, a Cognito or SAML attribute value)",
    ),
]
UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
Price = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json"),
]
MaxLearners = Annotated[int, Field(ge=1, le=10_000_000)]
Membership = Annotated[
    MembershipType,
    BeforeValidator(_membership),
    Field(description="auto | code | managed (aliases: sso → auto, non-sso → code)"),
]
ContractId = Annotated[int, Field(ge=1, le=2**53)]


# --- organizations ---------------------------------------------------------------------------


class OrganizationCreate(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "UniversityX", "sso_organization_id": "universityx-idp"}]}
    )

    name: Name
    org_key: OrgKey | None = Field(None, description="derived from the name when omitted")
    org_key_prefix: OrgKeyPrefix = "UAI_"
    sso_organization_id: SsoId | None = None
    sso_aliases: SsoAliases = ()
    description: Text = ""


class OrganizationPatch(PatchBody):
    name: Name | None = None
    org_key_prefix: OrgKeyPrefix | None = None
    sso_organization_id: SsoId | None = None
    sso_aliases: SsoAliases | None = None
    description: Text | None = None

    @field_validator("name", "org_key_prefix")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        return not_null(value)

    def changes(self) -> dict[str, Any]:
        values = super().changes()
        if "description" in values and values["description"] is None:
            values["description"] = ""
        if "sso_aliases" in values and values["sso_aliases"] is None:
            values["sso_aliases"] = ()
        return values


class OrganizationOut(Schema):
    id: int
    name: str
    slug: str
    org_key: str
    org_key_prefix: str
    sso_organization_id: str | None
    sso_aliases: list[str]
    description: str
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, org: Organization) -> OrganizationOut:
        return cls.model_validate(org, from_attributes=True)


# --- contracts -------------------------------------------------------------------------------


class ContractCreate(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "organization_name": "UniversityX",
                    "create_organization": True,
                    "name": "UniversityX 2027",
                    "membership_type": "code",
                    "start": "2027-01-01T00:00:00Z",
                    "end": "2027-12-31T00:00:00Z",
                    "max_learners": 200,
                    "price": "0.00",
                }
            ]
        }
    )

    organization_id: ContractId | None = None
    organization_name: Name | None = None
    create_organization: bool = False
    name: Name
    membership_type: Membership
    description: Text = ""
    start: UtcDatetime | None = None
    end: UtcDatetime | None = None
    active: bool = True
    max_learners: MaxLearners | None = None
    price: Price | None = None
    welcome_message: Text = ""


class ContractPatch(PatchBody):
    """Fields to change; ``null`` removes price, max_learners, start or end."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"max_learners": 250, "price": None}]})

    name: Name | None = None
    description: Text | None = None
    membership_type: Membership | None = None
    start: UtcDatetime | None = None
    end: UtcDatetime | None = None
    active: bool | None = None
    max_learners: MaxLearners | None = None
    price: Price | None = None
    welcome_message: Text | None = None

    @field_validator("name", "membership_type", "active")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        return not_null(value)

    def changes(self) -> dict[str, Any]:
        values = super().changes()
        for text in ("description", "welcome_message"):
            if text in values and values[text] is None:
                values[text] = ""
        return values


class ContractOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "organization_id": 3,
                    "name": "UniversityX 2027",
                    "slug": "universityx-2027",
                    "description": "",
                    "membership_type": "code",
                    "start": "2027-01-01T00:00:00Z",
                    "end": "2027-12-31T00:00:00Z",
                    "active": True,
                    "is_open": True,
                    "max_learners": 200,
                    "price": "0.00",
                    "welcome_message": "",
                    "created_at": "2026-11-02T09:30:00Z",
                    "updated_at": "2026-11-02T09:30:00Z",
                    "version": 1,
                }
            ]
        }
    )

    id: int
    organization_id: int
    name: str
    slug: str
    description: str
    membership_type: MembershipType
    start: datetime | None
    end: datetime | None
    active: bool
    is_open: bool
    max_learners: int | None
    price: Price | None
    welcome_message: str
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, contract: Contract, now: datetime) -> ContractOut:
        data = {name: getattr(contract, name) for name in cls.model_fields if name != "is_open"}
        return cls(**data, is_open=contract.is_open(now))
