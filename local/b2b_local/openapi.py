"""The OpenAPI document of the whole public surface (admin, checkout, learner and order routes).

Each function serves only its own routes, so no single Lambda can describe the others: the document
is assembled here from the same router lists the handlers include (``ROUTERS``), completed with
what follows from each route's shape, and committed as ``functions/admin_api/admin_api/openapi.json``
(the admin function serves it at ``/v1/openapi.json`` and in Swagger UI at ``/v1/docs``).

``python -m b2b_local openapi`` rewrites the committed copy; ``--check`` fails when it differs, so
an API change shows up as a diff to review.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

COMMITTED = Path(__file__).resolve().parents[2] / "functions" / "admin_api" / "admin_api" / "openapi.json"
TITLE = "B2B contracts and enrollment codes"
VERSION = "1.0.0"
ERROR_REF = "#/components/schemas/ErrorResponse"
GATEWAY_ERROR_REF = "#/components/schemas/GatewayError"

DESCRIPTION = """\
Organizations buy access to learning content for their people: a **contract**. Learners join a
contract by enrollment code, by their organization's single sign-on, or by an administrator, then
enroll in its course runs.

**Authentication.** Every route except `GET /v1/health` and Stripe's webhook needs `Authorization: Bearer <JWT>`, checked by
API Gateway's JWT authorizer (Cognito or Keycloak; on the local stack, `make token`). In Swagger UI,
press **Authorize** and paste the token without the `Bearer ` prefix.

**Who may call what** (`x-roles` on each operation):

| role | routes |
|---|---|
| admin (the admin group in the groups/roles claim) | `/v1/organizations…`, `/v1/contracts…`, `/v1/catalog…`, and every learner route |
| learner (any signed-in user, for themselves) | `/v1/checkout/validate`, `/v1/checkout/complete`, `/v1/codes/{code}/attach`, `/v1/me/…`, their own `/v1/orders/{order_id}…` |
| storefront (the storefront's server: a client-credentials token with the orders scope) | `POST /v1/orders/{order_id}/payment`, `POST /v1/orders/{order_id}/refund`, and any order's `/v1/orders/{order_id}…` |
| stripe (no token; the `Stripe-Signature` header is verified) | `POST /v1/hooks/stripe` |
| anyone | `GET /v1/health` |

The role is checked before the request body is read: a caller without it gets 403 whatever the body.

**Errors** have one shape, `ErrorResponse`: a stable `code`, a human `message`, and `details` naming
each field at fault. Each operation lists the statuses it can answer. API Gateway itself answers some
requests before they reach the API, with `{"message": "..."}` instead: 401 for a missing or invalid
token, 413 for a body over 10 MB, 429 when the stage's rate limit is hit.

**Limits.** Bodies up to 64 KiB and 32 levels of JSON nesting; dates between 1970-01-01 and
2999-12-31 (UTC); lists return `{"items": [...], "next_cursor": "..."}`, and a cursor is valid only
for the list that issued it.
"""

TAGS = [
    ("organizations", "Customers that buy contracts."),
    ("contracts", "Deals with an organization: membership type, dates, seats, price."),
    ("catalog", "Courses, course runs and programs that contracts can use."),
    ("courseware", "The courses, runs and programs attached to a contract."),
    ("codes", "Enrollment codes: export, statistics, health; attach a learner by code."),
    ("learners", "Learners of a contract, provisioned by an administrator."),
    ("default enrollments", "Runs a learner is enrolled in when attached to a contract."),
    ("checkout", "Validate and complete a basket of products with an optional code."),
    ("me", "The signed-in learner's own contracts and enrollments."),
    ("orders", "Orders of priced checkouts: pay, cancel, refund; the storefront confirms payments."),
    ("hooks", "Signed calls from the payment provider."),
    ("system", "Health."),
]


def _routers() -> list[Any]:
    from admin_api.handler import ROUTERS as ADMIN  # noqa: PLC0415
    from checkout_api.handler import ROUTERS as CHECKOUT  # noqa: PLC0415
    from learner_api.handler import ROUTERS as LEARNER  # noqa: PLC0415
    from orders_api.handler import ROUTERS as ORDERS  # noqa: PLC0415

    return [*ADMIN, *CHECKOUT, *LEARNER, *ORDERS]


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ERROR_REF}}}}


def _complete_operation(operation: dict[str, Any], common_errors: dict[int, str]) -> None:
    """The statuses an operation's shape implies (a body can be malformed, too large or invalid; a
    cursor can be forged), no content on empty answers, and the gateway's own 401 shape."""
    responses = operation["responses"]
    parameters = operation.get("parameters", [])
    if "requestBody" in operation:
        for status in (400, 413, 422):
            responses.setdefault(str(status), _error(common_errors[status]))
    if parameters or "requestBody" in operation:
        responses["422"] = _error(common_errors[422])
    else:
        responses.pop("422", None)
    if any(p["name"] == "cursor" for p in parameters):
        responses.setdefault("400", _error(common_errors[400]))
    for status, response in responses.items():
        if status == "204" or response.get("content") == {"application/json": {}}:
            response.pop("content", None)
    operation["responses"] = dict(sorted(responses.items()))
    if "401" in operation["responses"]:
        # The JWT authorizer answers before the API does, in its own shape.
        operation["responses"]["401"]["content"]["application/json"]["schema"] = {
            "anyOf": [{"$ref": ERROR_REF}, {"$ref": GATEWAY_ERROR_REF}]
        }
    if operation.get("x-roles") in (["anyone"], ["stripe"]):
        operation["security"] = []


def _complete(document: dict[str, Any]) -> dict[str, Any]:
    """Add what follows from each operation's shape, the security scheme, and drop unused models."""
    from b2b.api.openapi import COMMON_ERRORS  # noqa: PLC0415

    for item in document["paths"].values():
        for operation in item.values():
            _complete_operation(operation, COMMON_ERRORS)
    document["components"]["schemas"]["GatewayError"] = {
        "type": "object",
        "title": "GatewayError",
        "description": "What API Gateway answers when it refuses a request before the API sees it.",
        "properties": {"message": {"type": "string"}},
        "required": ["message"],
        "examples": [{"message": "Unauthorized"}],
    }
    document = _short_model_names(document)
    _drop_unreferenced_models(document)
    document["components"]["securitySchemes"] = {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A JWT from the identity provider (Cognito or Keycloak); locally `make token`.",
        }
    }
    document["security"] = [{"bearerAuth": []}]
    return document


def _short_model_names(document: dict[str, Any]) -> dict[str, Any]:
    """Two models of one name get module-qualified names (``b2b__api__checkout_schemas__X``): name
    them after their module instead (``CheckoutX``)."""
    renames = {}
    for name in document["components"]["schemas"]:
        if "__" in name:
            module, model = name.split("__")[-2:]
            renames[name] = module.removesuffix("_schemas").title().replace("_", "") + model
    text = json.dumps(document)
    for old, new in renames.items():
        text = text.replace(f'"{old}"', f'"{new}"').replace(f'/{old}"', f'/{new}"')
    return dict(json.loads(text))


def _drop_unreferenced_models(document: dict[str, Any]) -> None:
    """Remove component schemas nothing refers to (Powertools' own validation-error models)."""
    schemas = document["components"]["schemas"]
    while True:
        text = json.dumps({k: v for k, v in document.items() if k != "components"} | {"s": schemas})
        unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
        if not unused:
            return
        for name in unused:
            del schemas[name]


def build_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every public route, assembled from the handlers' routers."""
    app = APIGatewayHttpResolver(enable_validation=True)
    for router in _routers():
        app.include_router(router)
    text = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        tags=[{"name": name, "description": text} for name, text in TAGS],  # type: ignore[misc]
    )
    return _complete(json.loads(text))


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_or_check(check: bool) -> int:
    """Write the committed copy, or with ``check`` compare it; 1 when it is stale."""
    fresh = render(build_document())
    if not check:
        COMMITTED.write_text(fresh, encoding="utf-8")
        return 0
    current = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    if current != fresh:
        import difflib  # noqa: PLC0415

        diff = difflib.unified_diff(
            current.splitlines(), fresh.splitlines(), "committed", "from the code", lineterm="", n=2
        )
        print("\n".join(diff))
        print(f"\n{COMMITTED} is stale: `make openapi` refreshes it (review the diff: it is an API change).")
        return 1
    return 0
