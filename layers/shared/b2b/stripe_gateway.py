"""Stripe, through the official library: Checkout Sessions for pending orders, signed webhooks.

The library is imported when first needed, so functions that never talk to Stripe do not pay for it
at cold start. ``STRIPE_API_BASE`` points the library elsewhere (tests run a fake API on 127.0.0.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from b2b.domain.errors import BadRequest, Unavailable
from b2b.domain.orders import Order, minor_units
from b2b.settings import get_settings

# Stripe refuses a Checkout Session that expires sooner than 30 minutes after its creation.
MIN_SESSION_SECONDS = 1800


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str | None
    expires_at: int


@dataclass(frozen=True)
class WebhookEvent:
    """The parts of a verified Stripe event that orders act on."""

    type: str
    session_id: str
    order_id: str | None
    payment_reference: str | None
    amount_minor: int | None
    currency: str | None


def _client() -> Any:
    import stripe  # noqa: PLC0415 - only the calls that reach Stripe load the library

    settings = get_settings()
    if not settings.stripe_api_key:
        raise Unavailable("payments through Stripe are not configured", code="stripe_not_configured")
    base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
    return stripe.StripeClient(settings.stripe_api_key, base_addresses=base, max_network_retries=2)  # type: ignore[arg-type]


def session_expiry(order: Order, now: datetime) -> int:
    """The session ends with the order's hold, or at Stripe's earliest allowed expiry when later
    (a payment after the hold is then fulfilled only if the seat and code are still free)."""
    return max(order.hold_until, int(now.timestamp()) + MIN_SESSION_SECONDS)


def create_session(order: Order, now: datetime) -> CheckoutSession:
    """A Checkout Session charging the order's amount, with the order id in its metadata."""
    import stripe  # noqa: PLC0415

    settings = get_settings()
    expires_at = session_expiry(order, now)
    params: dict[str, Any] = {
        "mode": "payment",
        "client_reference_id": order.id,
        "metadata": {"order_id": order.id},
        "payment_intent_data": {"metadata": {"order_id": order.id}},
        "expires_at": expires_at,
        "success_url": settings.stripe_success_url.format(order_id=order.id),
        "cancel_url": settings.stripe_cancel_url.format(order_id=order.id),
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": order.currency,
                    "unit_amount": minor_units(order.amount),
                    "product_data": {"name": f"Course run {order.run_id}"},
                },
            }
        ],
    }
    try:
        session = _client().v1.checkout.sessions.create(
            params=params, options={"idempotency_key": f"order-session-{order.id}"}
        )
    except stripe.StripeError as exc:
        raise Unavailable(f"Stripe refused the checkout session: {exc.user_message or exc}") from exc
    return CheckoutSession(id=session.id, url=getattr(session, "url", None), expires_at=expires_at)


def verify_event(payload: bytes, signature: str | None) -> WebhookEvent:
    """Check ``Stripe-Signature`` against the webhook secret and read the event (400 when wrong)."""
    import stripe  # noqa: PLC0415

    secret = get_settings().stripe_webhook_secret
    if not secret:
        raise Unavailable("the Stripe webhook secret is not configured", code="stripe_not_configured")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except stripe.SignatureVerificationError as exc:
        raise BadRequest("the Stripe-Signature header does not match the body", code="bad_signature") from exc
    except ValueError as exc:
        raise BadRequest("the webhook body is not a Stripe event", code="bad_event") from exc
    session: dict[str, Any] = event["data"]["object"].to_dict()
    metadata = session.get("metadata") or {}
    intent = session.get("payment_intent")
    return WebhookEvent(
        type=str(event["type"]),
        session_id=str(session.get("id")),
        order_id=metadata.get("order_id") or session.get("client_reference_id"),
        # The payment intent identifies the charge; a session without one is its own reference.
        payment_reference=str(intent) if intent else str(session.get("id")),
        amount_minor=session.get("amount_total"),
        currency=session.get("currency"),
    )
