"""Request and response bodies of the checkout API (validate, complete, attach by code)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from b2b.api.base import Schema, StrictBody
from b2b.api.order_schemas import OrderOut

ProductId = Annotated[int, Field(ge=1, le=2**53)]
# Lenient on purpose: people paste codes with spaces and hyphens; the code module normalizes them.
CodeText = Annotated[str, StringConstraints(max_length=64)]
MAX_BASKET = 20


class BasketRequest(StrictBody):
    """A basket (product ids) and the enrollment code applied to it."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"product_ids": [41, 42], "code": "7KQ2-M9XD-4HTR-0PZB"}]}
    )

    product_ids: list[ProductId] = Field(min_length=1, max_length=MAX_BASKET)
    code: CodeText | None = None


class CompleteRequest(BasketRequest):
    order_reference: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None


class LineOut(Schema):
    product_id: int
    contract_id: int | None
    run_id: str | None
    list_price: str = Field(description="decimal, as text")
    price: str = Field(description="price after the code, decimal as text")
    valid: bool
    reasons: list[str] = Field(
        description="code_required | code_invalid | code_not_for_product | code_already_used | "
        "contract_not_open | contract_full | sso_required | unknown_product | already_enrolled"
    )
    message: str


class QuoteOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "valid": True,
                    "lines": [
                        {
                            "product_id": 41,
                            "contract_id": 12,
                            "run_id": "course-v1:UAI_UNIVERSITYX+14.100x+2027_C12",
                            "list_price": "0.00",
                            "price": "0.00",
                            "valid": True,
                            "reasons": [],
                            "message": "ok",
                        }
                    ],
                    "total": "0.00",
                    "requires_payment": False,
                }
            ]
        }
    )

    valid: bool
    lines: list[LineOut]
    total: str
    requires_payment: bool


class EnrollmentOut(Schema):
    run_id: str
    product_id: int
    contract_id: int
    enrolled_at: str


class CompleteOut(QuoteOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "valid": True,
                    "lines": [
                        {
                            "product_id": 41,
                            "contract_id": 12,
                            "run_id": "course-v1:UAI_UNIVERSITYX+14.100x+2027_C12",
                            "list_price": "0.00",
                            "price": "0.00",
                            "valid": True,
                            "reasons": [],
                            "message": "ok",
                        }
                    ],
                    "total": "0.00",
                    "requires_payment": False,
                    "status": "completed",
                    "order_reference": None,
                    "enrollment": {
                        "run_id": "course-v1:UAI_UNIVERSITYX+14.100x+2027_C12",
                        "product_id": 41,
                        "contract_id": 12,
                        "enrolled_at": "2026-11-02T09:31:00Z",
                    },
                    "attached": True,
                }
            ]
        }
    )

    status: Literal["completed", "pending_payment"]
    order_reference: str | None
    enrollment: EnrollmentOut | None = None
    attached: bool | None = None
    order: OrderOut | None = Field(None, description="the order waiting for payment (pending_payment)")


class AttachOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "attached", "contract_id": 12, "organization_id": 3}]}
    )

    status: Literal["attached", "already_attached"]
    contract_id: int
    organization_id: int
