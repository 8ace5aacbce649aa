"""Admin routes for organizations."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.base import PageOut
from b2b.api.openapi import operation
from b2b.api.resolver import PageCursor, PageLimit, page_size
from b2b.api.schemas import OrganizationCreate, OrganizationOut, OrganizationPatch
from b2b.services import organizations

router = APIGatewayHttpRouter()

OrgId = Annotated[int, Path(ge=1, le=2**53)]


@router.post(
    "/v1/organizations",
    **operation(
        "Register an organization",
        "Creates an organization. Its slug is derived from the name; its `org_key` (used in course "
        "run keys) is derived from the name unless given. Name, slug, key and SSO id are each unique.",
        role="admin",
        tag="organizations",
        ok=201,
        ok_description="Created; `Location` names the new organization.",
        errors={409: "Another organization has this name, key or SSO id (`duplicate`)."},
    ),
)
def create_organization(
    payload: Annotated[OrganizationCreate, Body()],
) -> Response[OrganizationOut]:
    org = organizations.register_organization(**payload.model_dump())
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=OrganizationOut.of(org),
        headers={"Location": f"/v1/organizations/{org.id}"},
    )


@router.get(
    "/v1/organizations",
    **operation(
        "List organizations",
        "Pages through every organization, oldest first; pass `next_cursor` back as `cursor`. "
        "With `q`, only those whose name (in any case) or org key contains it.",
        role="admin",
        tag="organizations",
    ),
)
def list_organizations(
    q: Annotated[str | None, Query(max_length=100, description="text the name or org key contains")] = None,
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> PageOut[OrganizationOut]:
    page = organizations.list_organizations(page_size(limit), cursor, q)
    return PageOut[OrganizationOut].of(page, OrganizationOut.of)


@router.get(
    "/v1/organizations/<org_id>",
    **operation(
        "Get an organization",
        "One organization by its id.",
        role="admin",
        tag="organizations",
        errors={404: "No organization has this id (`organization_not_found`)."},
    ),
)
def get_organization(org_id: OrgId) -> OrganizationOut:
    return OrganizationOut.of(organizations.get_organization(org_id))


@router.patch(
    "/v1/organizations/<org_id>",
    **operation(
        "Change an organization",
        "Changes the fields given; the others are kept. The org key cannot change (course run keys "
        "embed it); `sso_organization_id: null` removes the SSO link.",
        role="admin",
        tag="organizations",
        errors={
            404: "No organization has this id (`organization_not_found`).",
            409: "Another organization has this name or SSO id (`duplicate`).",
        },
    ),
)
def patch_organization(org_id: OrgId, payload: Annotated[OrganizationPatch, Body()]) -> OrganizationOut:
    return OrganizationOut.of(organizations.change_organization(org_id, payload.changes()))
