"""Request and response bodies of the orders API (payment, cancel, refund, listing, Stripe)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from b2b.api.base import Schema, StrictBody

Amount = Annotated[str, StringConstraints(pattern=r"^\d{1,9}(\.\d{1,2})?$")]
PaymentReference = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:\-]+$")
]


class OrderOut(Schema):
    order_id: str
    state: Literal["pending_payment", "fulfilled", "cancelled", "expired", "paid_unfulfillable", "refunded"]
    user_id: str
    contract_id: int
    product_id: int
    run_id: str
    amount: str = Field(description="decimal, as text")
    currency: str
    holds_seat: bool
    hold_expires_at: str
    hold_live: bool
    created_at: str
    order_reference: str | None
    payment_reference: str | None
    paid_amount: str | None
    paid_at: str | None
    fulfilled_at: str | None
    refunded_at: str | None
    refund_due: bool = Field(description="paid, but nothing was delivered: the storefront should refund")
    unfulfillable_reason: str | None


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class PaymentRequest(StrictBody):
    """A successful payment, as the storefront's payment processor reported it."""

    payment_reference: PaymentReference = Field(
        description="the processor's id for the charge (idempotency key)"
    )
    amount: Amount = Field(description="the amount charged, decimal as text; must equal the order's")


class StripeSessionOut(Schema):
    order_id: str
    session_id: str
    url: str | None
    expires_at: int


class WebhookOut(Schema):
    received: bool
    action: str
    state: str | None = None
    replayed: bool | None = None
