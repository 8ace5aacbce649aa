"""Opaque, signed cursors for paged queries.

A cursor is the query's LastEvaluatedKey as compact JSON, base64url-encoded, followed by a
truncated HMAC-SHA256 of that text under the cursor signing key (settings). Callers never see
DynamoDB's key shape, and only a cursor this API handed out is ever used as an ExclusiveStartKey:
a tampered, truncated or foreign one is ``400 invalid_cursor`` naming ``cursor``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from b2b.domain.errors import BadRequest, ErrorDetail
from b2b.settings import get_settings

_MAC_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode())


def _mac(payload: str) -> bytes:
    key = get_settings().cursor_signing_key.encode()
    return hmac.new(key, payload.encode(), hashlib.sha256).digest()[:_MAC_BYTES]


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    """Turn a LastEvaluatedKey (attribute name → DynamoDB typed value) into a signed opaque cursor."""
    if not last_evaluated_key:
        return None
    payload = _b64(json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_b64(_mac(payload))}"


_KEY_ATTRIBUTES = frozenset({"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"})


def _invalid(message: str) -> BadRequest:
    return BadRequest(
        message=f"cursor: {message}", details=[ErrorDetail("cursor", message)], code="invalid_cursor"
    )


def decode_cursor(cursor: str | None, partition: tuple[str, str]) -> dict[str, Any] | None:
    """Turn a cursor back into an ExclusiveStartKey for the query on ``partition`` (attribute, value).

    A cursor whose signature does not match, that does not decode, or that belongs to another list
    raises :class:`BadRequest` with the code ``invalid_cursor``.
    """
    if not cursor:
        return None
    payload, _, signature = cursor.partition(".")
    try:
        genuine = hmac.compare_digest(_unb64(signature), _mac(payload))
        value = json.loads(_unb64(payload)) if genuine else None
    except (binascii.Error, ValueError, UnicodeError) as exc:
        raise _invalid("is not a cursor returned by this API") from exc
    if not genuine:
        raise _invalid("is not a cursor returned by this API")
    if not isinstance(value, dict) or not all(
        k in _KEY_ATTRIBUTES and isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str)
        for k, v in value.items()
    ):
        raise _invalid("is not a cursor returned by this API")
    attribute, expected = partition
    if value.get(attribute) != {"S": expected} or not {"pk", "sk"} <= value.keys():
        raise _invalid("belongs to another list")
    return value
