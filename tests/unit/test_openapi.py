"""The OpenAPI document of the whole API: current, valid, and saying what each operation needs."""

from __future__ import annotations

import json
import re

import pytest
from b2b_local.openapi import COMMITTED, build_document, render
from b2b_local.template import read_template
from openapi_spec_validator import validate

DOCUMENT = build_document()
OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
]
API_FUNCTIONS = {"AdminApiFunction", "CheckoutApiFunction", "LearnerApiFunction", "OrdersApiFunction"}


def test_the_committed_copy_is_current():
    # An API change must come with its document: `make openapi` rewrites the copy, and the diff is reviewed.
    assert COMMITTED.read_text(encoding="utf-8") == render(DOCUMENT), (
        "functions/admin_api/admin_api/openapi.json is stale: run `make openapi` and review the diff"
    )


def test_it_is_a_valid_openapi_3_1_document():
    assert DOCUMENT["openapi"].startswith("3.1")
    validate(DOCUMENT)


def test_it_covers_every_route_of_the_four_apis():
    routes = {
        (r.method, r.path)
        for r in read_template().routes
        if r.function in API_FUNCTIONS and r.path not in {"/v1/docs", "/v1/openapi.json"}
    }
    assert {(method, path) for method, path, _ in OPERATIONS} == routes


def test_a_bearer_jwt_scheme_guards_every_operation_but_health_and_stripes_webhook():
    scheme = DOCUMENT["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert DOCUMENT["security"] == [{"bearerAuth": []}]
    public = {(m, p) for m, p, op in OPERATIONS if op.get("security") == []}
    assert public == {("GET", "/v1/health"), ("POST", "/v1/hooks/stripe")}
    # Stripe signs its calls instead: no 401, and the signature's 400 is documented
    webhook = DOCUMENT["paths"]["/v1/hooks/stripe"]["post"]["responses"]
    assert "401" not in webhook and "bad_signature" in webhook["400"]["description"]


@pytest.mark.parametrize(
    ("method", "path", "operation"), OPERATIONS, ids=lambda v: v if isinstance(v, str) else ""
)
def test_each_operation_describes_itself(method, path, operation):
    assert operation["summary"] and operation["summary"] != f"{method} {path}"
    assert "**Who may call:**" in operation["description"]
    assert operation["x-roles"] in (
        ["admin"],
        ["learner", "admin"],
        ["anyone"],
        ["storefront"],
        ["learner", "admin", "storefront"],
        ["stripe"],
    )
    statuses = set(operation["responses"])
    # Every error status answers with the one error model (401 also in API Gateway's shape)
    error = {"$ref": "#/components/schemas/ErrorResponse"}
    for status, response in operation["responses"].items():
        if int(status) >= 400:
            schema = response["content"]["application/json"]["schema"]
            expected = (
                {"anyOf": [error, {"$ref": "#/components/schemas/GatewayError"}]}
                if status == "401"
                else error
            )
            assert schema == expected, (status, schema)
    if operation["x-roles"] not in (["anyone"], ["stripe"]):
        assert {"401", "503"} <= statuses
    if operation["x-roles"] in (["admin"], ["storefront"]):
        assert "403" in statuses
    if "requestBody" in operation:
        assert {"400", "413", "422"} <= statuses
    if any(p["name"] == "cursor" for p in operation.get("parameters", [])):
        assert "400" in statuses
    if re.search(r"^(POST|PUT)", method) and path.rsplit("/", 1)[-1] not in {
        # Actions on something that exists (or queued for later) rather than creations
        "validate",
        "complete",
        "reconcile",
        "lms-sync",
        "cancel",
        "payment",
        "refund",
        "stripe-session",
        "stripe",
    }:
        # Creates answer 201
        assert "201" in statuses, (method, path)


def test_admin_routes_are_admin_only_and_learner_routes_are_for_any_user():
    machine = {
        ("POST", "/v1/orders/{order_id}/payment"): ["storefront"],
        ("POST", "/v1/orders/{order_id}/refund"): ["storefront"],
        ("POST", "/v1/hooks/stripe"): ["stripe"],
    }
    for method, path, operation in OPERATIONS:
        learner_route = path.startswith(("/v1/checkout/", "/v1/codes/", "/v1/me/"))
        expected = ["learner", "admin"] if learner_route else ["admin"]
        if path.startswith("/v1/orders/"):
            # The order's owner, or the storefront's machine token for any order
            expected = ["learner", "admin", "storefront"]
        expected = machine.get((method, path), expected)
        if path != "/v1/health":
            assert operation["x-roles"] == expected, (method, path)


def test_the_storefronts_routes_say_which_scope_they_need():
    for path in ("/v1/orders/{order_id}/payment", "/v1/orders/{order_id}/refund"):
        operation = DOCUMENT["paths"][path]["post"]
        assert "orders scope" in operation["description"], path
        assert "scope_required" in operation["responses"]["403"]["description"], path


def test_main_bodies_have_examples():
    schemas = DOCUMENT["components"]["schemas"]
    for name in (
        "OrganizationCreate",
        "ContractCreate",
        "ContractOut",
        "BasketRequest",
        "QuoteOut",
        "CompleteOut",
        "AttachOut",
        "ErrorResponse",
    ):
        assert schemas[name]["examples"], name


def test_the_admin_function_serves_the_committed_document():
    from admin_api.handler import lambda_handler

    from tests.factories import call, generate_api_gw_event

    served = call(lambda_handler, generate_api_gw_event("GET", "/v1/openapi.json"))
    assert served.status == 200
    assert served.body == json.loads(COMMITTED.read_text(encoding="utf-8"))
    page = call(lambda_handler, generate_api_gw_event("GET", "/v1/docs"))
    assert page.status == 200 and "persistAuthorization: true" in page.body
