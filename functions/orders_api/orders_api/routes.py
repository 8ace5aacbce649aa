"""Order routes: the learner's own orders, the storefront's payment and refund, Stripe."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.auth import Principal, principal_from_event, token_scopes
from b2b.api.openapi import operation
from b2b.api.order_schemas import OrderOut, OrderPage, PaymentRequest, StripeSessionOut, WebhookOut
from b2b.api.resolver import PageCursor, PageLimit, page_size
from b2b.domain.orders import Order
from b2b.services import orders
from b2b.settings import get_settings

router = APIGatewayHttpRouter()

OrderId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")]
StateFilter = Annotated[str | None, Query(max_length=40, description="only orders in this state")]


def _caller() -> Principal:
    return principal_from_event(router.current_event.raw_event)


def _is_storefront(principal: Principal) -> bool:
    return get_settings().orders_scope in token_scopes(router.current_event.raw_event, principal)


def _require_storefront() -> None:
    orders.require_scope(token_scopes(router.current_event.raw_event, _caller()))


def _out(order: Order) -> OrderOut:
    return OrderOut.model_validate(orders.view(order))


def _json(status: int, body: Any) -> Response[str]:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body.model_dump_json()
    )


@router.get(
    "/v1/me/orders",
    **operation(
        "List my orders",
        "Pages through the signed-in user's orders, newest first, optionally in one state "
        "(`pending_payment`, `fulfilled`, `paid_unfulfillable`, `cancelled`, `expired`, `refunded`).",
        role="learner",
        tag="orders",
        errors={422: "`state` is not an order state, or a parameter breaks a rule (`invalid_input`)."},
    ),
)
def my_orders(limit: PageLimit = None, cursor: PageCursor = None, state: StateFilter = None) -> OrderPage:
    page = orders.list_mine(_caller().user_id, page_size(limit), cursor, state)
    return OrderPage(items=[_out(o) for o in page.items], next_cursor=page.next_cursor)


@router.get(
    "/v1/orders/<order_id>",
    **operation(
        "View an order",
        "The order's state, amount and currency, what it buys and when its hold ends.",
        role="buyer",
        tag="orders",
        errors={404: "No order has this id, or it is not the caller's (`order_not_found`)."},
    ),
)
def get_order(order_id: OrderId) -> OrderOut:
    principal = _caller()
    owner = None if _is_storefront(principal) else principal.user_id
    return _out(orders.get_order(order_id, user_id=owner))


@router.post(
    "/v1/orders/<order_id>/cancel",
    **operation(
        "Cancel a pending order",
        "Releases the order's seat and code holds at once. Cancelling a cancelled order answers it again.",
        role="buyer",
        tag="orders",
        ok_description="The order, cancelled.",
        errors={
            404: "No order has this id, or it is not the caller's (`order_not_found`).",
            409: "The order is paid, expired or refunded (`order_not_cancellable`), or kept colliding "
            "with other changes (`order_busy`).",
        },
    ),
)
def cancel_order(order_id: OrderId) -> OrderOut:
    principal = _caller()
    owner = None if _is_storefront(principal) else principal.user_id
    return _out(orders.cancel(order_id, user_id=owner))


@router.post(
    "/v1/orders/<order_id>/payment",
    **operation(
        "Confirm an order's payment",
        "Records a successful payment and fulfils the order exactly once: the learner joins the "
        "contract and is enrolled. The same `payment_reference` again answers the order as it is (a "
        "replay). A payment that can no longer be fulfilled leaves the order `paid_unfulfillable` "
        "with a reason, for a refund.",
        role="storefront",
        tag="orders",
        ok_description="The payment was recorded (or had been: a replay); the order as it now is.",
        success={200: {"application/json": {"schema": {"$ref": "#/components/schemas/OrderOut"}}}},
        errors={
            404: "No order has this id (`order_not_found`).",
            409: "The amount differs from the order's (`amount_mismatch`), the order was paid with "
            "another payment (`order_already_paid`), the reference paid another order "
            "(`payment_reference_reused`), or the order kept colliding with other changes "
            "(`order_busy`).",
        },
    ),
)
def confirm_payment(order_id: OrderId, payload: Annotated[PaymentRequest, Body()]) -> Response[str]:
    _require_storefront()
    order, _replayed = orders.confirm_payment(order_id, payload.payment_reference, payload.amount)
    return _json(200, _out(order))


@router.post(
    "/v1/orders/<order_id>/refund",
    **operation(
        "Refund an order",
        "A fulfilled order loses its enrollment and gives its seat back (a one-time code stays "
        "redeemed). Refunding a refunded order answers it again.",
        role="storefront",
        tag="orders",
        ok_description="The order, refunded.",
        errors={
            404: "No order has this id (`order_not_found`).",
            409: "The order was never paid (`order_not_refundable`), or kept colliding with other "
            "changes (`order_busy`).",
        },
    ),
)
def refund_order(order_id: OrderId) -> OrderOut:
    _require_storefront()
    return _out(orders.refund(order_id))


@router.post(
    "/v1/orders/<order_id>/stripe-session",
    **operation(
        "Pay an order through Stripe",
        "Opens a Stripe Checkout Session for a pending order (its amount and currency, the order id "
        "in the metadata) and answers the page to send the buyer to.",
        role="buyer",
        tag="orders",
        errors={
            404: "No order has this id, or it is not the caller's (`order_not_found`).",
            409: "The order is not pending payment (`order_not_payable`).",
        },
    ),
)
def stripe_session(order_id: OrderId) -> StripeSessionOut:
    principal = _caller()
    owner = None if _is_storefront(principal) else principal.user_id
    return StripeSessionOut.model_validate(orders.start_stripe_checkout(order_id, user_id=owner))


@router.post(
    "/v1/hooks/stripe",
    **operation(
        "Stripe's webhook",
        "A completed Checkout Session pays and fulfils its order; an expired one cancels it. Events "
        "for other sessions are acknowledged and ignored, so Stripe stops resending them.",
        role="stripe",
        tag="hooks",
        ok_description="The event was received; `action` says what it did.",
        errors={
            400: "The `Stripe-Signature` header does not match the body (`bad_signature`), or the body "
            "is not a Stripe event (`bad_event`).",
            409: "The session's amount or currency differs from the order's (`amount_mismatch`), or "
            "the order cannot take this payment (`order_already_paid`, `order_busy`).",
            503: "The webhook's signing secret is not configured (`stripe_not_configured`), or the "
            "database is busy (`unavailable`).",
        },
    ),
)
def stripe_webhook(
    stripe_signature: Annotated[str | None, Header(alias="stripe-signature", max_length=2048)] = None,
) -> WebhookOut:
    event = router.current_event
    payload = event.decoded_body or ""
    return WebhookOut.model_validate(orders.handle_stripe_webhook(payload.encode(), stripe_signature))
