"""Opaque cursors for paged queries.

A cursor is the query's LastEvaluatedKey as compact JSON, base64url-encoded. Callers never see
DynamoDB's key shape; a cursor that does not decode is rejected as bad input naming ``cursor``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from b2b.errors import InvalidInput


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    """Turn a LastEvaluatedKey (attribute name → DynamoDB typed value) into an opaque cursor."""
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """Turn a cursor back into an ExclusiveStartKey; raises :class:`InvalidInput` for a bad one."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput.for_field("cursor", "is not a cursor returned by this API") from exc
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, dict) and len(v) == 1 for k, v in value.items()
    ):
        raise InvalidInput.for_field("cursor", "is not a cursor returned by this API")
    return value
