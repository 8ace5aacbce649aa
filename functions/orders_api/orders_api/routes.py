"""Order routes: the learner's own orders, the storefront's payment and refund, Stripe."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.auth import Principal, principal_from_event, token_scopes
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


@router.get("/v1/me/orders", tags=["orders"])
def my_orders(limit: PageLimit = None, cursor: PageCursor = None, state: StateFilter = None) -> OrderPage:
    page = orders.list_mine(_caller().user_id, page_size(limit), cursor, state)
    return OrderPage(items=[_out(o) for o in page.items], next_cursor=page.next_cursor)


@router.get("/v1/orders/<order_id>", tags=["orders"])
def get_order(order_id: OrderId) -> OrderOut:
    principal = _caller()
    owner = None if _is_storefront(principal) else principal.user_id
    return _out(orders.get_order(order_id, user_id=owner))


@router.post("/v1/orders/<order_id>/cancel", tags=["orders"])
def cancel_order(order_id: OrderId) -> OrderOut:
    principal = _caller()
    owner = None if _is_storefront(principal) else principal.user_id
    return _out(orders.cancel(order_id, user_id=owner))


@router.post(
    "/v1/orders/<order_id>/payment",
    tags=["orders"],
    responses={200: {"description": "the payment was recorded (again: a replay)"}},
)
def confirm_payment(order_id: OrderId, payload: Annotated[PaymentRequest, Body()]) -> Response[str]:
    _require_storefront()
    order, _replayed = orders.confirm_payment(order_id, payload.payment_reference, payload.amount)
    return _json(200, _out(order))


@router.post("/v1/orders/<order_id>/refund", tags=["orders"])
def refund_order(order_id: OrderId) -> OrderOut:
    _require_storefront()
    return _out(orders.refund(order_id))


@router.post("/v1/orders/<order_id>/stripe-session", tags=["orders"])
def stripe_session(order_id: OrderId) -> StripeSessionOut:
    principal = _caller()
    owner = None if _is_storefront(principal) else principal.user_id
    return StripeSessionOut.model_validate(orders.start_stripe_checkout(order_id, user_id=owner))


@router.post("/v1/hooks/stripe", tags=["hooks"])
def stripe_webhook(
    stripe_signature: Annotated[str | None, Header(alias="stripe-signature", max_length=2048)] = None,
) -> WebhookOut:
    event = router.current_event
    payload = event.decoded_body or ""
    return WebhookOut.model_validate(orders.handle_stripe_webhook(payload.encode(), stripe_signature))
