"""template.yaml wires orders as the code expects: scopes on the storefront's routes, one hold
length for the function that opens orders and the one that pays them, the sweep, the alarm."""

from __future__ import annotations

from b2b_local.template import read_template

TEMPLATE = read_template()
RESOURCES = TEMPLATE.raw["Resources"]
ORDERS = RESOURCES["OrdersApiFunction"]["Properties"]


def _route(name: str) -> dict:
    return ORDERS["Events"][name]["Properties"]


def test_payment_and_refund_need_the_orders_scope_at_the_gateway():
    for name in ("ConfirmPayment", "RefundOrder"):
        auth = _route(name)["Auth"]
        assert auth == {"Authorizer": "JwtAuthorizer", "AuthorizationScopes": [{"Ref": "OrdersScope"}]}
    assert TEMPLATE.parameter_default("OrdersScope") == "b2b/orders.write"
    # The learner's own routes take any signed-in token; Stripe signs instead of bearing one
    assert "Auth" not in _route("CancelOrder")
    assert _route("StripeWebhook")["Auth"] == {"Authorizer": "NONE"}


def test_checkout_and_orders_functions_agree_on_the_hold():
    assert TEMPLATE.functions["CheckoutApiFunction"].environment["ORDER_HOLD_SECONDS"] == {
        "Ref": "OrderHoldSeconds"
    }
    assert TEMPLATE.functions["OrdersApiFunction"].environment["ORDER_HOLD_SECONDS"] == {
        "Ref": "OrderHoldSeconds"
    }


def test_expired_orders_are_swept_on_a_schedule_and_unfulfillable_payments_alarm():
    schedule = ORDERS["Events"]["SweepExpiredOrders"]
    assert schedule["Type"] == "Schedule"
    assert schedule["Properties"]["Schedule"].startswith("rate(")
    alarm = RESOURCES["OrdersPaidUnfulfillableAlarm"]["Properties"]
    assert (alarm["MetricName"], alarm["Threshold"]) == ("OrdersPaidUnfulfillable", 0)
    assert alarm["Dimensions"] == [
        {"Name": "service", "Value": ORDERS["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]}
    ]
