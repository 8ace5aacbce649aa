"""The event schemas under docs/events/, and validation of events against them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

EVENTS_DIR = Path(__file__).resolve().parents[1] / "docs" / "events"


@cache
def validator(detail_type: str) -> Draft202012Validator:
    schema = json.loads((EVENTS_DIR / f"{detail_type}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate(event: dict[str, Any]) -> None:
    """Raise when ``event`` (an EventBridge event as consumers get it) does not match its schema."""
    validator(event["detail-type"]).validate(event)


def envelope(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    """An EventBridge event around ``detail`` as the bus delivers it."""
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000000",
        "detail-type": detail_type,
        "source": "b2b.contracts",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": json.loads(json.dumps(detail)),
    }
