"""Admin routes for organizations."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.base import PageOut
from b2b.api.resolver import PageCursor, PageLimit, page_size
from b2b.api.schemas import OrganizationCreate, OrganizationOut, OrganizationPatch
from b2b.services import organizations

router = APIGatewayHttpRouter()

OrgId = Annotated[int, Path(ge=1, le=2**53)]


@router.post("/v1/organizations", tags=["organizations"])
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


@router.get("/v1/organizations", tags=["organizations"])
def list_organizations(limit: PageLimit = None, cursor: PageCursor = None) -> PageOut[OrganizationOut]:
    page = organizations.list_organizations(page_size(limit), cursor)
    return PageOut[OrganizationOut].of(page, OrganizationOut.of)


@router.get("/v1/organizations/<org_id>", tags=["organizations"])
def get_organization(org_id: OrgId) -> OrganizationOut:
    return OrganizationOut.of(organizations.get_organization(org_id))


@router.patch("/v1/organizations/<org_id>", tags=["organizations"])
def patch_organization(org_id: OrgId, payload: Annotated[OrganizationPatch, Body()]) -> OrganizationOut:
    return OrganizationOut.of(organizations.change_organization(org_id, payload.changes()))
