"""HMAC-SHA256 signatures of webhook calls, in two formats.

- keycloak-events: ``X-Keycloak-Signature: <hex>``, the digest of the raw body with the webhook's
  secret (no timestamp: the event's own ``time`` is checked instead).
- older: ``X-Signature: t=<unix seconds>,v1=<hex>`` where the hex digest is over
  ``"<t>.<raw body>"``. A stale timestamp is refused, so a captured call cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, timestamp: int, body: str) -> str:
    """The header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def is_valid(secret: str | None, header: str | None, body: str, now: float, tolerance_seconds: int) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and its timestamp is recent enough."""
    if not secret or not header:
        return False
    parts: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    # Any of the v1 signatures may match (lets the sender rotate secrets).
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))


def sign_keycloak(secret: str, body: str) -> str:
    """``X-Keycloak-Signature`` as the keycloak-events extension sends it: hex HMAC-SHA256 of the body."""
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()


def is_valid_keycloak(secret: str | None, header: str | None, body: str) -> bool:
    """True when ``header`` is the extension's signature of ``body`` (compared in constant time).

    The signature covers no timestamp: freshness is checked on the event's own ``time``, and
    replays within that window are caught by the event id.
    """
    if not secret or not header:
        return False
    return hmac.compare_digest(sign_keycloak(secret, body), header.strip().lower())
