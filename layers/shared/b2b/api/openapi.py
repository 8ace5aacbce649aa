"""What each route says about itself in the OpenAPI document: one call per route, at its decorator.

``@router.post("/v1/contracts", **operation(...))`` gives the route its summary, description, tag,
who may call it, its success status and every error status it can answer, each with the error
model. Statuses that follow from the route's shape (a body: 400/413/422; parameters: 422; a cursor:
400) are added when the whole document is assembled (``python -m b2b_local openapi``).

Plain dicts only: route modules import this at cold start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from b2b.api.errors import ErrorResponse

# ``storefront`` is a machine: the storefront's server with a client-credentials token carrying the
# orders scope. ``buyer`` is a learner acting on their own order, or the storefront on any order.
# ``stripe`` calls without a token; its signature over the body is checked instead.
Role = Literal["admin", "learner", "public", "storefront", "buyer", "stripe"]

# Who may call, as the document states it (``x-roles`` and a line of the description).
ROLE_NAMES: dict[Role, list[str]] = {
    "admin": ["admin"],
    "learner": ["learner", "admin"],
    "public": ["anyone"],
    "storefront": ["storefront"],
    "buyer": ["learner", "admin", "storefront"],
    "stripe": ["stripe"],
}
_WHO = {
    "admin": "an administrator: a token whose groups/roles claim holds the admin group",
    "learner": "any signed-in user, acting for themselves (the token's `sub`)",
    "public": "anyone, without a token",
    "storefront": "the storefront's server: a client-credentials token carrying the orders scope "
    "(`b2b/orders.write` unless the stage says otherwise)",
    "buyer": "the signed-in user who owns the order, or the storefront's server (a token carrying the "
    "orders scope) for any order",
    "stripe": "Stripe, without a token: the `Stripe-Signature` header must verify against the body "
    "with the webhook's signing secret",
}
# Roles that call without a bearer token (no 401, no security requirement in the document).
TOKENLESS: frozenset[str] = frozenset({"public", "stripe"})

# The error statuses every route of a role can answer, and what each means.
COMMON_ERRORS: dict[int, str] = {
    400: "The body is not JSON or nests too deeply (`bad_request`), or `cursor` was not issued by this "
    "API for this list (`invalid_cursor`).",
    401: "No valid bearer token. API Gateway's JWT authorizer refuses it with "
    '`{"message": "Unauthorized"}`; a request that reaches the API without claims gets `unauthorized`.',
    403: "The token does not carry the admin role (`admin_required`).",
    413: "The body is larger than 64 KiB (`payload_too_large`).",
    422: "A parameter or a body field breaks a rule; `details` names each field (`invalid_input`).",
    503: "The database is busy or did not answer; retry after `Retry-After` seconds (`unavailable`).",
}
# The storefront's routes: API Gateway checks the scope first (then in its own shape), the API again.
SCOPE_FORBIDDEN = (
    "The token does not carry the orders scope (`scope_required`; API Gateway may refuse it first "
    'with `{"message": "Forbidden"}`).'
)


def error_content() -> dict[str, Any]:
    """The content of an error response: the one error model."""
    return {"application/json": {"model": ErrorResponse}}


def operation(
    summary: str,
    description: str,
    *,
    role: Role,
    tag: str,
    ok: int = 200,
    ok_description: str = "Done.",
    also: Mapping[int, str] | None = None,
    errors: Mapping[int, str] | None = None,
    success: Mapping[int, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Keyword arguments for a route decorator documenting the operation.

    ``ok`` is the usual success status; ``also`` other success statuses (``{200: "already attached"}``);
    ``errors`` the statuses particular to this route (404, 409, 429...) and when each happens;
    ``success`` overrides the content of success responses (a model the return type does not name).
    """
    responses: dict[int, dict[str, Any]] = {ok: {"description": ok_description}}
    for status, text in (also or {}).items():
        responses[status] = {"description": text}
    for status, content in (success or {}).items():
        responses[status]["content"] = content
    if role not in TOKENLESS:
        responses[401] = {"description": COMMON_ERRORS[401], "content": error_content()}
    if role != "public":
        responses[503] = {"description": COMMON_ERRORS[503], "content": error_content()}
    if role == "admin":
        responses[403] = {"description": COMMON_ERRORS[403], "content": error_content()}
    if role == "storefront":
        responses[403] = {"description": SCOPE_FORBIDDEN, "content": error_content()}
    for status, text in (errors or {}).items():
        responses[status] = {"description": text, "content": error_content()}
    who = _WHO[role]
    return {
        "summary": summary,
        "description": f"{description}\n\n**Who may call:** {who}.",
        "tags": [tag],
        "responses": dict(sorted(responses.items())),
        "openapi_extensions": {"x-roles": ROLE_NAMES[role]},
    }
