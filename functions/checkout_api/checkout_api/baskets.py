"""Checkout routes: validate a basket, complete it."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.checkout_schemas import BasketRequest, CompleteOut, CompleteRequest, QuoteOut
from b2b.services import checkout

from checkout_api.learner import current_learner

router = APIGatewayHttpRouter()

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="idempotency-key",
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:\-]+$",
        description="a retry with the same key returns the first answer",
    ),
]


@router.post("/v1/checkout/validate", tags=["checkout"])
def validate(payload: Annotated[BasketRequest, Body()]) -> QuoteOut:
    learner = current_learner(router)  # type: ignore[arg-type]
    return QuoteOut.model_validate(checkout.validate(learner, payload.product_ids, payload.code))


@router.post(
    "/v1/checkout/complete",
    tags=["checkout"],
    responses={
        200: {
            "description": "completed or payment required",
            "content": {"application/json": {"model": CompleteOut}},
        }
    },
)
def complete(
    payload: Annotated[CompleteRequest, Body()], idempotency_key: IdempotencyKey = None
) -> Response[str]:
    learner = current_learner(router)  # type: ignore[arg-type]
    outcome = checkout.complete(
        learner, payload.product_ids, payload.code, payload.order_reference, idempotency_key
    )
    # Rendered from the receipt alone, so a replay answers byte for byte as the first time did.
    body = CompleteOut.model_validate(outcome.receipt).model_dump_json(exclude_unset=True)
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body)
