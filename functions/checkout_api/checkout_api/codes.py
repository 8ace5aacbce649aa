"""Attach a learner to a contract by enrollment code (without enrolling)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.checkout_schemas import AttachOut
from b2b.api.openapi import operation
from b2b.services import checkout

from checkout_api.learner import current_learner

router = APIGatewayHttpRouter()


@router.post(
    "/v1/codes/<code>/attach",
    **operation(
        "Attach myself by code",
        "Attaches the signed-in learner to the contract of an enrollment code, without enrolling "
        "them; the code is kept for them. Spaces, hyphens and case in the code do not matter.",
        role="learner",
        tag="codes",
        ok=201,
        ok_description="Attached.",
        also={200: "Already attached: nothing changed."},
        errors={
            404: "The learner cannot use this code (`code_invalid`): one answer whether it is unknown, "
            "used, deactivated, of a closed contract or of a contract needing another organization's "
            "sign-on. Each counts as a failed attempt.",
            409: "Every seat of the contract is taken (`contract_full`).",
            429: "Too many failed code attempts; retry after `Retry-After` seconds.",
        },
    ),
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
