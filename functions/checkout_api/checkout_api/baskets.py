"""Checkout routes: validate a basket, complete it."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.checkout_schemas import BasketRequest, CompleteOut, CompleteRequest, QuoteOut
from b2b.api.openapi import operation
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


@router.post(
    "/v1/checkout/validate",
    **operation(
        "Validate a basket",
        "Prices each product of the basket for the signed-in learner, with the code if one is given: "
        "list price, price after the code, and when a line is not valid, machine-readable `reasons`. "
        "A product of a contract the learner is not attached to, holds no code of, and does not sign "
        "in to reads as `unknown_product`. Nothing is written but failed attempts: a wrong code or an "
        "unknown product counts toward the throttle.",
        role="learner",
        tag="checkout",
        ok_description="The quote; `valid` is false when any line is not.",
        errors={
            429: "Too many failed attempts (wrong codes, unknown products); retry after "
            "`Retry-After` seconds (`too_many_code_attempts`)."
        },
    ),
)
def validate(payload: Annotated[BasketRequest, Body()]) -> QuoteOut:
    learner = current_learner(router)  # type: ignore[arg-type]
    return QuoteOut.model_validate(checkout.validate(learner, payload.product_ids, payload.code))


@router.post(
    "/v1/checkout/complete",
    **operation(
        "Complete a basket",
        "Checks everything again, then in one transaction redeems the code, takes a seat if the "
        "learner is new to the contract, attaches and enrolls them. A retry with the same "
        "`Idempotency-Key` returns the first answer and never redeems twice.",
        role="learner",
        tag="checkout",
        ok_description="Completed, or `pending_payment` with the order to pay when the total is not zero.",
        success={200: {"application/json": {"model": CompleteOut}}},
        errors={
            403: "The contract needs the organization's single sign-on (`sso_required`).",
            404: "A product is unknown, or of a contract the learner cannot see, or the code is not "
            "valid (`unknown_product`, `code_invalid`). Counts as a failed attempt.",
            409: "The basket cannot complete as it stands (`code_already_used`, `contract_full`, "
            "`contract_not_open`, `already_enrolled`, `idempotency_key_reused`, ...).",
            429: "Too many failed attempts (wrong codes, unknown products); retry after `Retry-After` "
            "seconds.",
        },
    ),
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
