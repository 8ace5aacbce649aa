"""HMAC-SHA256 signatures of webhook calls: ``X-Signature: t=<unix seconds>,v1=<hex>`` where the
hex digest is over ``"<t>.<raw body>"``. A stale timestamp is refused, so a captured call cannot
be replayed later."""

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
