"""Event and context factories: the events API Gateway (HTTP API, payload v2) sends to a handler."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any


@dataclass
class FakeContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def generate_context() -> FakeContext:
    return FakeContext(aws_request_id=str(uuid.uuid4()))


def admin_claims(sub: str = "admin-1") -> dict[str, str]:
    return {"sub": sub, "email": f"{sub}@example.com", "cognito:groups": "[admin]"}


def learner_claims(sub: str = "learner-1") -> dict[str, str]:
    return {"sub": sub, "email": f"{sub}@example.com"}


def generate_api_gw_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    claims: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    """An HTTP API v2 event; ``claims`` go where the JWT authorizer puts them."""
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "test",
            "domainName": "test.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "test",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pytest",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": "22/Nov/2026:00:00:00 +0000",
            "timeEpoch": 0,
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    if raw_body is not None:
        event["body"] = raw_body
    elif body is not None:
        event["body"] = json.dumps(body)
    return event


@dataclass
class ApiResult:
    status: int
    headers: dict[str, str]
    body: Any


def call(handler: Any, event: dict[str, Any]) -> ApiResult:
    """Invoke a Lambda handler with an API event and decode the JSON response."""
    response = handler(event, generate_context())
    text = response.get("body") or ""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = text
    return ApiResult(status=response["statusCode"], headers=response.get("headers") or {}, body=body)
