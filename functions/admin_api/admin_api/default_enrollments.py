"""Admin routes: the default enrollments (intentions) of a contract."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.base import PageOut
from b2b.api.learner_schemas import DefaultEnrollmentCreate, DefaultEnrollmentOut
from b2b.api.openapi import operation
from b2b.api.resolver import ContractIdPath, PageCursor, PageLimit, page_size
from b2b.services import default_enrollments

router = APIGatewayHttpRouter()

IntentionIdPath = Annotated[int, Path(ge=1, le=2**53)]


@router.post(
    "/v1/contracts/<contract_id>/default-enrollments",
    **operation(
        "Add a default enrollment",
        "Every learner attached to the contract is enrolled in this course's current contract run "
        "(`course_id`) or in this run (`run_id`).",
        role="admin",
        tag="default enrollments",
        ok=201,
        ok_description="Added; `Location` names it.",
        errors={
            404: "No contract has this id (`contract_not_found`).",
            409: "The contract already has this default enrollment (`duplicate_default_enrollment`).",
        },
    ),
)
def add_default_enrollment(
    contract_id: ContractIdPath, payload: Annotated[DefaultEnrollmentCreate, Body()]
) -> Response[DefaultEnrollmentOut]:
    intention = default_enrollments.add_intention(contract_id, payload.kind, payload.content_key)
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=DefaultEnrollmentOut.of(intention),
        headers={"Location": f"/v1/contracts/{contract_id}/default-enrollments/{intention.id}"},
    )


@router.get(
    "/v1/contracts/<contract_id>/default-enrollments",
    **operation(
        "List default enrollments",
        "The contract's default enrollments, one page at a time.",
        role="admin",
        tag="default enrollments",
        errors={404: "No contract has this id (`contract_not_found`)."},
    ),
)
def list_default_enrollments(
    contract_id: ContractIdPath, limit: PageLimit = None, cursor: PageCursor = None
) -> PageOut[DefaultEnrollmentOut]:
    page = default_enrollments.list_intentions(contract_id, page_size(limit), cursor)
    return PageOut[DefaultEnrollmentOut].of(page, DefaultEnrollmentOut.of)


@router.delete(
    "/v1/contracts/<contract_id>/default-enrollments/<intention_id>",
    **operation(
        "Remove a default enrollment",
        "Learners attached from now on are not enrolled by it; enrollments already made are kept.",
        role="admin",
        tag="default enrollments",
        ok=204,
        ok_description="Removed.",
        errors={404: "No such default enrollment (`default_enrollment_not_found`)."},
    ),
)
def remove_default_enrollment(contract_id: ContractIdPath, intention_id: IntentionIdPath) -> Response[None]:
    default_enrollments.remove_intention(contract_id, intention_id)
    return Response(status_code=204)
