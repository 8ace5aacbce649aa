"""Admin routes for the courseware of a contract: attach, list, detach."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.catalog_schemas import AttachmentOut, CoursewareAttach, CoursewareOut, DetachmentOut
from b2b.api.openapi import operation
from b2b.api.resolver import ContractIdPath, PageCursor, PageLimit, ReadableIdPath, page_size, readable_id
from b2b.services import courseware

router = APIGatewayHttpRouter()


@router.post(
    "/v1/contracts/<contract_id>/courseware",
    **operation(
        "Attach courseware to a contract",
        "A course gets a new contract run cloned from its source run; a course run is assigned to the "
        "contract; a program gets a run for each of its courses not yet in the contract. Each new run "
        "gets a product. `create_runs: false` records the link only.",
        role="admin",
        tag="courseware",
        ok=201,
        ok_description="Something was created or linked.",
        also={200: "Already attached: nothing changed."},
        errors={
            404: "No such contract (`contract_not_found`) or courseware (`course_not_found`, "
            "`course_run_not_found`, `program_not_found`).",
            409: "The run belongs to another contract (`course_run_assigned`) or its key is taken "
            "(`run_key_taken`).",
        },
    ),
)
def attach_courseware(
    contract_id: ContractIdPath, payload: Annotated[CoursewareAttach, Body()]
) -> Response[AttachmentOut]:
    attachment = courseware.attach_courseware(contract_id, payload.courseware_id, payload.create_runs)
    return Response(
        # 201 when something was created or linked; attaching again changes nothing and is a 200.
        status_code=201 if attachment.changed else 200,
        content_type=content_types.APPLICATION_JSON,
        body=AttachmentOut.of(attachment),
    )


@router.get(
    "/v1/contracts/<contract_id>/courseware",
    **operation(
        "List a contract's courseware",
        "The contract's courseware links and runs (with their products), one page at a time.",
        role="admin",
        tag="courseware",
        errors={404: "No contract has this id (`contract_not_found`)."},
    ),
)
def list_courseware(
    contract_id: ContractIdPath, limit: PageLimit = None, cursor: PageCursor = None
) -> CoursewareOut:
    return CoursewareOut.of(courseware.list_courseware(contract_id, min(page_size(limit), 100), cursor))


@router.delete(
    "/v1/contracts/<contract_id>/courseware/<courseware_id>",
    **operation(
        "Detach courseware from a contract",
        "Unlinks the courseware's runs from the contract (the runs are kept) and deactivates their "
        "unused codes. Percent-encode `+` and `:` in the id if your client needs to.",
        role="admin",
        tag="courseware",
        errors={404: "No such contract, or the courseware is not attached (`course_run_not_found`)."},
    ),
)
def detach_courseware(contract_id: ContractIdPath, courseware_id: ReadableIdPath) -> DetachmentOut:
    courseware_readable_id = readable_id(courseware_id)
    runs = courseware.detach_courseware(contract_id, courseware_readable_id)
    return DetachmentOut(
        contract_id=contract_id, courseware_id=courseware_readable_id, unlinked_runs=[r.id for r in runs]
    )
