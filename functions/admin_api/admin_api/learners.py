"""Admin routes: provision learners into a contract by hand, remove them, list them."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.base import PageOut
from b2b.api.learner_schemas import LearnerAttach, MembershipOut
from b2b.api.openapi import operation
from b2b.api.resolver import ContractIdPath, PageCursor, PageLimit, page_size
from b2b.services import provisioning

router = APIGatewayHttpRouter()

UserIdPath = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[^\s/]+$")]


@router.put(
    "/v1/contracts/<contract_id>/learners/<user_id>",
    **operation(
        "Attach a learner to a contract",
        "Attaches the user (their token's `sub`) to the contract, taking a seat within the cap. "
        "An `email` in the body is kept for the learner: enrollments made without a checkout find "
        "their LMS account by it.",
        role="admin",
        tag="learners",
        ok=201,
        ok_description="Attached.",
        also={200: "Already attached: nothing changed."},
        errors={
            404: "No contract has this id (`contract_not_found`).",
            409: "Every seat is taken (`contract_full`).",
        },
    ),
)
def attach_learner(
    contract_id: ContractIdPath,
    user_id: UserIdPath,
    payload: Annotated[LearnerAttach | None, Body()] = None,
) -> Response[MembershipOut]:
    email = payload.email if payload is not None else None
    outcome, membership = provisioning.attach_learner(contract_id, user_id, email)
    return Response(
        status_code=201 if outcome == "attached" else 200,
        content_type=content_types.APPLICATION_JSON,
        body=MembershipOut.of(membership),
    )


@router.delete(
    "/v1/contracts/<contract_id>/learners/<user_id>",
    **operation(
        "Remove a learner from a contract",
        "Detaches the learner and frees their seat; their enrollments are kept as history.",
        role="admin",
        tag="learners",
        ok=204,
        ok_description="Removed.",
        errors={404: "The learner is not attached to this contract (`learner_not_found`)."},
    ),
)
def remove_learner(contract_id: ContractIdPath, user_id: UserIdPath) -> Response[None]:
    provisioning.remove_learner(contract_id, user_id)
    return Response(status_code=204)


@router.get(
    "/v1/contracts/<contract_id>/learners",
    **operation(
        "List a contract's learners",
        "Pages through the learners attached to the contract, with how each joined.",
        role="admin",
        tag="learners",
        errors={404: "No contract has this id (`contract_not_found`)."},
    ),
)
def list_learners(
    contract_id: ContractIdPath, limit: PageLimit = None, cursor: PageCursor = None
) -> PageOut[MembershipOut]:
    page = provisioning.list_learners(contract_id, page_size(limit), cursor)
    return PageOut[MembershipOut].of(page, MembershipOut.of)
