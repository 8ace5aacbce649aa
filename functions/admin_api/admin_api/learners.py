"""Admin routes: provision learners into a contract by hand, remove them, list them."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.base import PageOut
from b2b.api.learner_schemas import MembershipOut
from b2b.api.resolver import ContractIdPath, PageCursor, PageLimit, page_size
from b2b.services import provisioning

router = APIGatewayHttpRouter()

UserIdPath = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[^\s/]+$")]


@router.put("/v1/contracts/<contract_id>/learners/<user_id>", tags=["learners"])
def attach_learner(contract_id: ContractIdPath, user_id: UserIdPath) -> Response[MembershipOut]:
    outcome, membership = provisioning.attach_learner(contract_id, user_id)
    return Response(
        status_code=201 if outcome == "attached" else 200,
        content_type=content_types.APPLICATION_JSON,
        body=MembershipOut.of(membership),
    )


@router.delete("/v1/contracts/<contract_id>/learners/<user_id>", tags=["learners"])
def remove_learner(contract_id: ContractIdPath, user_id: UserIdPath) -> Response[None]:
    provisioning.remove_learner(contract_id, user_id)
    return Response(status_code=204)


@router.get("/v1/contracts/<contract_id>/learners", tags=["learners"])
def list_learners(
    contract_id: ContractIdPath, limit: PageLimit = None, cursor: PageCursor = None
) -> PageOut[MembershipOut]:
    page = provisioning.list_learners(contract_id, page_size(limit), cursor)
    return PageOut[MembershipOut].of(page, MembershipOut.of)
