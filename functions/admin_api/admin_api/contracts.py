"""Admin routes for contracts."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.base import PageOut
from b2b.api.openapi import operation
from b2b.api.resolver import ContractIdPath, PageCursor, PageLimit, page_size
from b2b.api.schemas import ContractCreate, ContractOut, ContractPatch
from b2b.domain.errors import InvalidInput
from b2b.domain.model import ContractFilters, MembershipType, utcnow
from b2b.services import contracts

router = APIGatewayHttpRouter()

ContractStatusFilter = Literal["open", "closed"]

IfMatch = Annotated[
    str | None, Header(alias="if-match", description="the contract version the change is based on")
]


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    try:
        return int(if_match.strip().strip('"').removeprefix("W/").strip('"'))
    except ValueError:
        raise InvalidInput.for_field("If-Match", "must be a contract version number") from None


@router.post(
    "/v1/contracts",
    **operation(
        "Create a contract",
        "Creates a contract for an organization given by `organization_id` or by `organization_name` "
        "(`create_organization: true` registers a missing one). Codes are then generated in the "
        "background when the membership type or the price needs them.",
        role="admin",
        tag="contracts",
        ok=201,
        ok_description="Created; `Location` names the contract and `ETag` carries its version.",
        errors={404: "The organization does not exist (`organization_not_found`)."},
    ),
)
def create_contract(payload: Annotated[ContractCreate, Body()]) -> Response[ContractOut]:
    organization_id = contracts.resolve_organization_id(
        payload.organization_id, payload.organization_name, payload.create_organization
    )
    contract = contracts.create_contract(
        organization_id=organization_id,
        **payload.model_dump(exclude={"organization_id", "organization_name", "create_organization"}),
    )
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=ContractOut.of(contract, utcnow()),
        headers={"Location": f"/v1/contracts/{contract.id}", "ETag": f'"{contract.version}"'},
    )


@router.get(
    "/v1/contracts",
    **operation(
        "List contracts",
        "Pages through every contract, or an organization's with `organization_id`; "
        "`membership_type` and `status` narrow the list (`open`: active, started and not ended, "
        "as `is_open` says; `closed`: every other).",
        role="admin",
        tag="contracts",
    ),
)
def list_contracts(
    organization_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    membership_type: Annotated[MembershipType | None, Query()] = None,
    status: Annotated[ContractStatusFilter | None, Query()] = None,
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> PageOut[ContractOut]:
    now = utcnow()
    filters = (
        ContractFilters(membership_type=membership_type, open=status == "open" if status else None, now=now)
        if membership_type or status
        else None
    )
    page = contracts.list_contracts(organization_id, page_size(limit), cursor, filters)
    return PageOut[ContractOut].of(page, lambda c: ContractOut.of(c, now))


@router.get(
    "/v1/contracts/<contract_id>",
    **operation(
        "Get a contract",
        "One contract by its id, with `is_open` computed now.",
        role="admin",
        tag="contracts",
        errors={404: "No contract has this id (`contract_not_found`)."},
    ),
)
def get_contract(contract_id: ContractIdPath) -> ContractOut:
    return ContractOut.of(contracts.get_contract(contract_id), utcnow())


@router.patch(
    "/v1/contracts/<contract_id>",
    **operation(
        "Change a contract",
        "Changes the fields given; `null` removes price, max_learners, start or end. With "
        '`If-Match: "<version>"` the change applies only to that version. Codes follow the new '
        "terms in the background.",
        role="admin",
        tag="contracts",
        errors={
            404: "No contract has this id (`contract_not_found`).",
            409: "The contract changed since the version in `If-Match` (`version_conflict`).",
        },
    ),
)
def patch_contract(
    contract_id: ContractIdPath, payload: Annotated[ContractPatch, Body()], if_match: IfMatch = None
) -> ContractOut:
    contract = contracts.change_contract(contract_id, payload.changes(), _expected_version(if_match))
    return ContractOut.of(contract, utcnow())


@router.delete(
    "/v1/contracts/<contract_id>",
    **operation(
        "Deactivate a contract",
        "A soft delete: the contract becomes inactive (closed to new learners) and every record is kept.",
        role="admin",
        tag="contracts",
        errors={404: "No contract has this id (`contract_not_found`)."},
    ),
)
def deactivate_contract(contract_id: ContractIdPath) -> ContractOut:
    return ContractOut.of(contracts.deactivate_contract(contract_id), utcnow())
