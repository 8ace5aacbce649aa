"""Opaque cursors for paged queries.

A cursor is the query's LastEvaluatedKey as compact JSON, base64url-encoded. Callers never see
DynamoDB's key shape; a cursor that does not decode is rejected as bad input naming ``cursor``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from b2b.domain.errors import InvalidInput


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    """Turn a LastEvaluatedKey (attribute name → DynamoDB typed value) into an opaque cursor."""
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_KEY_ATTRIBUTES = frozenset({"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"})


def decode_cursor(cursor: str | None, partition: tuple[str, str]) -> dict[str, Any] | None:
    """Turn a cursor back into an ExclusiveStartKey for the query on ``partition`` (attribute, value).

    A cursor that does not decode, or that belongs to another list, raises :class:`InvalidInput`.
    """
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput.for_field("cursor", "is not a cursor returned by this API") from exc
    if not isinstance(value, dict) or not all(
        k in _KEY_ATTRIBUTES and isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str)
        for k, v in value.items()
    ):
        raise InvalidInput.for_field("cursor", "is not a cursor returned by this API")
    attribute, expected = partition
    if value.get(attribute) != {"S": expected} or not {"pk", "sk"} <= value.keys():
        raise InvalidInput.for_field("cursor", "belongs to another list")
    return value
