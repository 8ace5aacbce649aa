"""Admin routes for the courseware of a contract: attach, list, detach."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.catalog_schemas import AttachmentOut, CoursewareAttach, CoursewareOut, DetachmentOut
from b2b.api.resolver import ContractIdPath, PageCursor, PageLimit, page_size
from b2b.services import courseware

router = APIGatewayHttpRouter()

CoursewareIdPath = Annotated[str, Path(min_length=1, max_length=400)]


@router.post("/v1/contracts/<contract_id>/courseware", tags=["courseware"])
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


@router.get("/v1/contracts/<contract_id>/courseware", tags=["courseware"])
def list_courseware(
    contract_id: ContractIdPath, limit: PageLimit = None, cursor: PageCursor = None
) -> CoursewareOut:
    return CoursewareOut.of(courseware.list_courseware(contract_id, min(page_size(limit), 100), cursor))


@router.delete("/v1/contracts/<contract_id>/courseware/<courseware_id>", tags=["courseware"])
def detach_courseware(contract_id: ContractIdPath, courseware_id: CoursewareIdPath) -> DetachmentOut:
    # Readable ids contain '+' and ':', which clients may percent-encode in the path.
    readable_id = unquote(courseware_id)
    runs = courseware.detach_courseware(contract_id, readable_id)
    return DetachmentOut(
        contract_id=contract_id, courseware_id=readable_id, unlinked_runs=[r.id for r in runs]
    )
