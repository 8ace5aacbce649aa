"""What the logs must never hold: bearer tokens, learners' email addresses, enrollment codes.

Used by the end-to-end session (every function's log lines of the whole run are checked when the
local stack stops) and unit-tested on its own, so that a leak is shown to be caught.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import boto3

# A JWT: base64url header and payload, both JSON objects (so both begin with "eyJ").
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# A code as people are shown it: four groups of four Crockford base32 characters.
_GROUPED_CODE = re.compile(
    r"\b[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}\b"
)


@dataclass(frozen=True)
class Leak:
    line_number: int
    kind: str
    excerpt: str


def find_leaks(lines: Iterable[str], codes: Iterable[str]) -> list[Leak]:
    """Every line holding a bearer token, an email address or one of ``codes`` (raw or grouped)."""
    known = {c.upper() for c in codes if c}
    leaks = []
    for number, line in enumerate(lines, start=1):
        for kind, pattern in (("bearer token", _JWT), ("email", _EMAIL), ("code", _GROUPED_CODE)):
            found = pattern.search(line)
            if found:
                leaks.append(Leak(number, kind, found.group(0)[:12] + "…"))
        upper = line.upper()
        leaked = next((c for c in known if c in upper), None)
        if leaked is not None:
            leaks.append(Leak(number, "code", leaked[:4] + "…"))
    return leaks


def codes_in_table(endpoint_url: str, region: str, table_name: str) -> set[str]:
    """Every enrollment code stored in the table: an independent read of what must stay secret."""
    client = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region)
    codes: set[str] = set()
    for page in client.get_paginator("scan").paginate(
        TableName=table_name,
        FilterExpression="begins_with(pk, :prefix)",
        ExpressionAttributeValues={":prefix": {"S": "CODE#"}},
        ProjectionExpression="pk",
    ):
        codes.update(item["pk"]["S"].removeprefix("CODE#") for item in page["Items"])
    return codes
