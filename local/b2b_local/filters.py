"""Lambda event filtering (the EventBridge pattern syntax) for the patterns the template uses.

Supported: nested objects, lists of literal values, ``{"anything-but": [...]}``, ``{"prefix": "..."}``
and ``{"exists": true|false}``. An unsupported operator fails loudly rather than letting a record
through that Lambda would drop.
"""

from __future__ import annotations

import json
from typing import Any

_MISSING = object()


def _value_matches(rule: Any, value: Any) -> bool:
    if isinstance(rule, dict):
        if "anything-but" in rule:
            excluded = rule["anything-but"]
            excluded = excluded if isinstance(excluded, list) else [excluded]
            return value is not _MISSING and value not in excluded
        if "prefix" in rule:
            return isinstance(value, str) and value.startswith(rule["prefix"])
        if "exists" in rule:
            return (value is not _MISSING) == bool(rule["exists"])
        raise ValueError(f"filter operator not supported locally: {rule}")
    return value is not _MISSING and value == rule


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """True when ``event`` (one record) matches ``pattern``."""
    for key, rule in pattern.items():
        value = event.get(key, _MISSING) if isinstance(event, dict) else _MISSING
        if isinstance(rule, dict):
            if value is _MISSING or not isinstance(value, dict) or not matches(rule, value):
                return False
        elif isinstance(rule, list):
            if not any(_value_matches(r, value) for r in rule):
                return False
        else:
            raise ValueError(f"a filter value must be a list or an object: {key}")
    return True


def passes(filters: list[str], record: dict[str, Any]) -> bool:
    """True when ``record`` matches any of the ``filters`` (JSON patterns); no filters pass all."""
    return not filters or any(matches(json.loads(f), record) for f in filters)
