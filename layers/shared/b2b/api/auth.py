"""Who is calling: claims placed on the event by the HTTP API's JWT authorizer, and the admin check.

API Gateway's JWT authorizer passes claims as strings: a list claim arrives as ``"[a b]"`` and an
object claim as JSON text; identity providers send lists, JSON or separated strings.
:func:`claim_values` reads every such form.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from b2b.domain.errors import Forbidden, Unauthorized
from b2b.settings import get_settings


@dataclass(frozen=True)
class Principal:
    """The signed-in caller."""

    user_id: str
    email: str | None
    claims: dict[str, Any]

    @property
    def is_admin(self) -> bool:
        settings = get_settings()
        return settings.admin_group in claim_values(self.claims, settings.admin_claim)


def _parse(value: Any) -> Any:
    """A claim value as a list, dict or scalar, whichever textual form it arrived in."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError:
            pass
    if text.startswith("[") and text.endswith("]"):
        # API Gateway's rendering of an array claim: "[admin staff]" or "[admin, staff]".
        text = text[1:-1]
    return [v for v in text.replace(",", " ").split() if v]


def claim_values(claims: dict[str, Any], path: str) -> list[str]:
    """The string values at a claim path; dots step into nested objects (``realm_access.roles``).

    Accepted forms, at every step of the path: a real list or object (a Lambda invoked with the
    decoded token), JSON text (``'["admin","staff"]'``, ``'{"roles":["admin"]}'``: API Gateway passes
    object claims as JSON), API Gateway's rendering of an array claim (``"[admin staff]"``,
    ``"[admin, staff]"``), and a space- or comma-separated string (``"admin staff"``,
    ``"admin,staff"``). A claim name that itself contains a dot (``https://example.org/roles``) is
    read whole when present.
    """
    if path in claims:
        return _strings(_parse(claims[path]))
    value: Any = claims
    for part in path.split("."):
        if isinstance(value, str):
            value = _parse(value)
        if not isinstance(value, dict) or part not in value:
            return []
        value = value[part]
    return _strings(_parse(value))


def _strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if isinstance(v, str | int) and str(v).strip()]
    if isinstance(value, dict) or value is None:
        return []
    return [str(value)]


def principal_from_event(event: dict[str, Any]) -> Principal:
    """Read the caller from ``requestContext.authorizer.jwt.claims``; 401 when absent."""
    claims = (((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt") or {}).get(
        "claims"
    ) or {}
    user_id = claims.get("sub")
    if not user_id:
        raise Unauthorized("a valid bearer token is required")
    return Principal(user_id=str(user_id), email=claims.get("email"), claims=dict(claims))


def token_scopes(event: dict[str, Any], principal: Principal) -> list[str]:
    """OAuth2 scopes of the caller's token: the JWT authorizer's ``scopes`` list, else the ``scope``
    claim (space separated, as Cognito and Keycloak write it)."""
    jwt = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt") or {}
    scopes = jwt.get("scopes")
    if isinstance(scopes, list) and scopes:
        return [str(s) for s in scopes]
    return claim_values(principal.claims, "scope")


def current_principal(app: APIGatewayHttpResolver) -> Principal:
    return principal_from_event(app.current_event.raw_event)


def require_admin(
    public_paths: frozenset[str],
) -> Callable[[APIGatewayHttpResolver, NextMiddleware], Response[Any]]:
    """Middleware: every route except ``public_paths`` needs a token carrying the admin group."""

    def middleware(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        if app.current_event.path not in public_paths:
            principal = current_principal(app)
            if not principal.is_admin:
                raise Forbidden("this route needs the admin role", code="admin_required")
        return next_middleware(app)

    return middleware


def require_user(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Middleware: every route needs a signed-in user."""
    current_principal(app)
    return next_middleware(app)


# Callers made up for the requests a SnapStart init serves to itself (b2b.api.resolver.prime).
PRIME_LEARNER = {"sub": "snapstart-prime"}


def prime_admin_claims() -> dict[str, str]:
    """Claims of a made-up admin, under whatever claim path the stage names (dotted or not)."""
    settings = get_settings()
    first, *rest = settings.admin_claim.split(".")
    value: Any = [settings.admin_group]
    for part in reversed(rest):
        value = {part: value}
    return {"sub": "snapstart-prime", first: json.dumps(value)}
