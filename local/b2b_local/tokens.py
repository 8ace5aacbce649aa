"""HS256 development tokens for the local stack (deployed stages use Cognito or Keycloak tokens)."""

from __future__ import annotations

import os
import time
import warnings
from typing import Any

import jwt

# The documented local default secret is shorter than RFC 7518 recommends; it only signs dev tokens.
warnings.filterwarnings("ignore", category=jwt.warnings.InsecureKeyLengthWarning)

DEFAULT_SECRET = "local-dev-secret"
ISSUER = "b2b-local"
AUDIENCE = "b2b-local"
ORDERS_SCOPE = "b2b/orders.write"


def dev_secret() -> str:
    return os.environ.get("B2B_DEV_JWT_SECRET", DEFAULT_SECRET)


def mint_token(
    sub: str = "dev-admin",
    *,
    admin: bool = False,
    email: str | None = None,
    groups: list[str] | None = None,
    extra: dict[str, Any] | None = None,
    ttl_seconds: int = 12 * 3600,
) -> str:
    """A signed token carrying ``sub``, ``email`` and ``cognito:groups`` (``admin`` for admins)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "email": email or f"{sub}@example.com",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl_seconds,
        "cognito:groups": sorted(set(groups or []) | ({"admin"} if admin else set())),
    }
    claims |= extra or {}
    return jwt.encode(claims, dev_secret(), algorithm="HS256")


def mint_client_token(
    client_id: str = "storefront", *, scopes: list[str] | None = None, ttl_seconds: int = 3600
) -> str:
    """A machine-to-machine token as an OAuth2 client-credentials grant issues it: the client is the
    subject, no email or groups, and the granted scopes in ``scope`` (default: the orders scope)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": client_id,
        "client_id": client_id,
        "token_use": "access",
        "scope": " ".join(scopes if scopes is not None else [ORDERS_SCOPE]),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, dev_secret(), algorithm="HS256")


def verify_token(token: str) -> dict[str, Any]:
    """Claims of a valid token; raises :class:`jwt.InvalidTokenError` otherwise."""
    return jwt.decode(token, dev_secret(), algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)


def authorizer_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway's JWT authorizer passes them: lists as ``[a b]``, objects as JSON."""
    import json  # noqa: PLC0415

    shaped: dict[str, str] = {}
    for key, value in claims.items():
        if isinstance(value, list):
            shaped[key] = "[" + " ".join(str(v) for v in value) + "]"
        elif isinstance(value, dict):
            shaped[key] = json.dumps(value, separators=(",", ":"))
        elif isinstance(value, bool):
            shaped[key] = str(value).lower()
        else:
            shaped[key] = str(value)
    return shaped
