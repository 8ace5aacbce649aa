"""Attach a learner to a contract by enrollment code (without enrolling)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.checkout_schemas import AttachOut
from b2b.services import checkout

from checkout_api.learner import current_learner

router = APIGatewayHttpRouter()


@router.post(
    "/v1/codes/<code>/attach",
    tags=["codes"],
    responses={
        201: {"description": "attached", "content": {"application/json": {"model": AttachOut}}},
        200: {"description": "already attached", "content": {"application/json": {"model": AttachOut}}},
    },
)
def attach(code: Annotated[str, Path(min_length=1, max_length=64)]) -> Response[AttachOut]:
    learner = current_learner(router)  # type: ignore[arg-type]
    outcome, contract = checkout.attach_by_code(learner, code)
    body = AttachOut(status=outcome, contract_id=contract.id, organization_id=contract.organization_id)
    return Response(
        status_code=201 if outcome == "attached" else 200,
        content_type=content_types.APPLICATION_JSON,
        body=body,
    )
