"""`b2b orders …`: orders of priced checkouts by state, one order, refunds (admin API)."""

from __future__ import annotations

from typing import Annotated

import typer

from b2b_cli.client import segment
from b2b_cli.inputs import JsonFlag
from b2b_cli.output import columns_for, emit_json, record, stdout, table
from b2b_cli.session import as_dict, call

app = typer.Typer(help="Orders of priced checkouts: list by state, show, refund.", no_args_is_help=True)

ORDER_COLUMNS = [
    ("order_id", "Order"),
    ("state", "State"),
    ("user_id", "Learner"),
    ("contract_id", "Contract"),
    ("product_id", "Product"),
    ("amount", "Amount"),
    ("currency", "Cur."),
    ("hold_expires_at", "Hold until"),
    ("payment_reference", "Payment"),
    ("refund_due", "Refund due"),
]
STATES = ("pending_payment", "fulfilled", "cancelled", "expired", "paid_unfulfillable", "refunded")
OrderArg = Annotated[str, typer.Argument(help="Order id (ord_…).")]


@app.command("list", epilog="Examples: b2b orders list  ·  b2b orders list --state paid_unfulfillable --json")
def list_orders(
    ctx: typer.Context,
    state: Annotated[str, typer.Option("--state", help=f"One of {', '.join(STATES)}.")] = "pending_payment",
    as_json: JsonFlag = False,
) -> None:
    """List the orders in a state (every page)."""
    rows = call(ctx, lambda api: api.all_items("/v1/admin/orders", {"state": state}))
    if as_json:
        emit_json(rows)
    else:
        stdout().print(table(f"Orders {state}", rows, columns_for(rows, ORDER_COLUMNS)))


@app.command("show", epilog="Example: b2b orders show ord_0123456789abcdef0123")
def show_order(ctx: typer.Context, order_id: OrderArg, as_json: JsonFlag = False) -> None:
    """Show one order."""
    result = call(ctx, lambda api: api.get(f"/v1/admin/orders/{segment(order_id)}"))
    if as_json:
        emit_json(result)
    else:
        record(f"Order {order_id}", as_dict(result))


@app.command("refund", epilog="Example: b2b orders refund ord_0123456789abcdef0123")
def refund_order(ctx: typer.Context, order_id: OrderArg, as_json: JsonFlag = False) -> None:
    """Record the refund of a paid order: a fulfilled one loses its enrollment and frees its seat."""
    result = call(ctx, lambda api: api.post(f"/v1/admin/orders/{segment(order_id)}/refund", None))
    if as_json:
        emit_json(result)
    else:
        record(f"Order {order_id} refunded", as_dict(result))
