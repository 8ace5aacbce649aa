"""Admin routes: orders by state, one order, refunds."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.openapi import operation
from b2b.api.order_schemas import OrderOut, OrderPage
from b2b.api.resolver import PageCursor, PageLimit, page_size
from b2b.services import orders

router = APIGatewayHttpRouter()

OrderId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")]


@router.get(
    "/v1/admin/orders",
    **operation(
        "List orders by state",
        "Pages through the orders in one state (`pending_payment` unless `state` says otherwise), "
        "e.g. `paid_unfulfillable` for those awaiting a refund.",
        role="admin",
        tag="orders",
        errors={422: "`state` is not an order state, or a parameter breaks a rule (`invalid_input`)."},
    ),
)
def list_orders(
    state: Annotated[str, Query(max_length=40, description="orders in this state")] = "pending_payment",
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> OrderPage:
    page = orders.list_by_state(state, page_size(limit), cursor)
    return OrderPage(
        items=[OrderOut.model_validate(orders.view(o)) for o in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/v1/admin/orders/<order_id>",
    **operation(
        "View any order",
        "The order's state, amount, what it buys, its payment and, when it could not be fulfilled, why.",
        role="admin",
        tag="orders",
        errors={404: "No order has this id (`order_not_found`)."},
    ),
)
def get_order(order_id: OrderId) -> OrderOut:
    return OrderOut.model_validate(orders.view(orders.get_order(order_id)))


@router.post(
    "/v1/admin/orders/<order_id>/refund",
    **operation(
        "Refund an order",
        "A fulfilled order loses its enrollment and gives its seat back (a one-time code stays "
        "redeemed). Refunding a refunded order answers it again.",
        role="admin",
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
    return OrderOut.model_validate(orders.view(orders.refund(order_id)))
