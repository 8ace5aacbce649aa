"""Hand-picked malformed requests over HTTP on the local stack: each gets its 4xx, naming the field.

The admin routes' table is in tests/integration/test_admin_api.py; this one covers the checkout and
learner routes, and the admin inputs that once answered 500 (overflowing dates, deep JSON, forged
cursors) as a client sees them.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests import builders
from tests.e2e.conftest import learner_headers

DEEP = "[" * 10_000 + "]" * 10_000
BIG = json.dumps({"product_ids": [1], "code": "x" * (70 * 1024)})
FORGED_CURSOR = base64.urlsafe_b64encode(
    json.dumps({"pk": {"S": "CONTRACT#1"}, "sk": {"S": "CONTRACT"}, "gsi2pk": {"S": "CONTRACTS"}}).encode()
).decode()
RAW = object()  # marks a body sent as it is, not as JSON

# (method, path, body, extra headers, status, field named in the error details)
LEARNER_CASES: list[tuple[str, str, Any, dict[str, str], int, str]] = [
    # validate
    ("POST", "/v1/checkout/validate", {}, {}, 422, "product_ids"),
    ("POST", "/v1/checkout/validate", {"product_ids": []}, {}, 422, "product_ids"),
    ("POST", "/v1/checkout/validate", {"product_ids": None}, {}, 422, "product_ids"),
    ("POST", "/v1/checkout/validate", {"product_ids": "1"}, {}, 422, "product_ids"),
    ("POST", "/v1/checkout/validate", {"product_ids": [0]}, {}, 422, "product_ids.0"),
    ("POST", "/v1/checkout/validate", {"product_ids": [-1]}, {}, 422, "product_ids.0"),
    ("POST", "/v1/checkout/validate", {"product_ids": ["abc"]}, {}, 422, "product_ids.0"),
    ("POST", "/v1/checkout/validate", {"product_ids": [1.5]}, {}, 422, "product_ids.0"),
    ("POST", "/v1/checkout/validate", {"product_ids": [2**60]}, {}, 422, "product_ids.0"),
    ("POST", "/v1/checkout/validate", {"product_ids": list(range(1, 22))}, {}, 422, "product_ids"),
    ("POST", "/v1/checkout/validate", {"product_ids": [1], "code": "x" * 65}, {}, 422, "code"),
    ("POST", "/v1/checkout/validate", {"product_ids": [1], "code": 123}, {}, 422, "code"),
    ("POST", "/v1/checkout/validate", {"product_ids": [1], "code": ["A"]}, {}, 422, "code"),
    ("POST", "/v1/checkout/validate", {"product_ids": [1], "coupon": "X"}, {}, 422, "coupon"),
    ("POST", "/v1/checkout/validate", [1, 2], {}, 422, "body"),
    ("POST", "/v1/checkout/validate", (RAW, "{not json"), {}, 400, "body"),
    ("POST", "/v1/checkout/validate", (RAW, '{"product_ids": [1],}'), {}, 400, "body"),
    ("POST", "/v1/checkout/validate", (RAW, "null"), {}, 422, "body"),
    ("POST", "/v1/checkout/validate", (RAW, DEEP), {}, 400, "body"),
    ("POST", "/v1/checkout/validate", (RAW, BIG), {}, 413, "body"),
    # complete
    ("POST", "/v1/checkout/complete", {}, {}, 422, "product_ids"),
    (
        "POST",
        "/v1/checkout/complete",
        {"product_ids": [1], "order_reference": ""},
        {},
        422,
        "order_reference",
    ),
    (
        "POST",
        "/v1/checkout/complete",
        {"product_ids": [1], "order_reference": "r" * 129},
        {},
        422,
        "order_reference",
    ),
    ("POST", "/v1/checkout/complete", {"product_ids": [1], "total": "0.00"}, {}, 422, "total"),
    (
        "POST",
        "/v1/checkout/complete",
        {"product_ids": [1]},
        {"Idempotency-Key": "has space"},
        422,
        "idempotency-key",
    ),
    (
        "POST",
        "/v1/checkout/complete",
        {"product_ids": [1]},
        {"Idempotency-Key": "k" * 129},
        422,
        "idempotency-key",
    ),
    ("POST", "/v1/checkout/complete", (RAW, DEEP), {}, 400, "body"),
    ("POST", "/v1/checkout/complete", (RAW, BIG), {}, 413, "body"),
    # attach by code
    ("POST", "/v1/codes/" + "C" * 65 + "/attach", None, {}, 422, "code"),
    ("POST", "/v1/codes/X/attach", (RAW, DEEP), {}, 400, "body"),
    # the learner's own lists
    ("GET", "/v1/me/contracts?limit=0", None, {}, 422, "limit"),
    ("GET", "/v1/me/contracts?limit=abc", None, {}, 422, "limit"),
    ("GET", "/v1/me/contracts?limit=1001", None, {}, 422, "limit"),
    ("GET", "/v1/me/contracts?cursor=garbage", None, {}, 400, "cursor"),
    ("GET", f"/v1/me/contracts?cursor={FORGED_CURSOR}", None, {}, 400, "cursor"),
    ("GET", "/v1/me/contracts?cursor=" + "c" * 2049, None, {}, 422, "cursor"),
    ("GET", "/v1/me/enrollments?limit=-1", None, {}, 422, "limit"),
    ("GET", f"/v1/me/enrollments?cursor={FORGED_CURSOR}.AAAA", None, {}, 400, "cursor"),
    ("DELETE", "/v1/me/enrollments/" + "r" * 513, None, {}, 422, "run_id"),
]


def _send(http, method: str, path: str, body: Any, headers: dict[str, str]):
    if isinstance(body, tuple) and body[0] is RAW:
        return http.request(
            method, path, content=body[1], headers=headers | {"content-type": "application/json"}
        )
    if body is None:
        return http.request(method, path, headers=headers)
    return http.request(method, path, json=body, headers=headers)


def test_the_tables_hold_at_least_sixty_malformed_requests_with_the_admin_one():
    from tests.integration.test_admin_api import MALFORMED

    assert len(LEARNER_CASES) + len(ADMIN_EDGE_CASES) + len(MALFORMED) >= 60


@pytest.mark.parametrize(("method", "path", "body", "headers", "status", "field"), LEARNER_CASES)
def test_malformed_learner_requests_get_a_4xx_naming_the_field(
    http, unique, method, path, body, headers, status, field
):
    # Given a signed-in learner (a new one per case, so failed code attempts never add up to a 429)
    auth = learner_headers(f"malformed-{unique}")
    # When they send the malformed request
    answer = _send(http, method, path, body, auth | headers)
    # Then the answer is the expected 4xx in the error envelope, naming the field
    assert answer.status_code == status, answer.text[:500]
    assert field in [d["field"] for d in answer.json()["error"]["details"]], answer.text[:500]


# Admin inputs from the issue that answered a bare 500; (method, path, body, status, field, code)
ADMIN_EDGE_CASES: list[tuple[str, str, Any, int, str, str]] = [
    ("POST", "/v1/contracts", {"start": "9999-12-31T23:00:00-05:00"}, 422, "start", "invalid_input"),
    ("POST", "/v1/contracts", {"end": "0001-01-01T00:00:00+05:00"}, 422, "end", "invalid_input"),
    (
        "PATCH",
        "/v1/contracts/{contract}",
        {"start": "9999-12-31T23:00:00-05:00"},
        422,
        "start",
        "invalid_input",
    ),
    ("PATCH", "/v1/contracts/{contract}", {"end": "0001-01-01T00:00:00+05:00"}, 422, "end", "invalid_input"),
    (
        "POST",
        "/v1/catalog/course-runs",
        {"run_id": "course-v1:UAI_X+Y+SOURCE", "start": "9999-12-31T23:00:00-05:00"},
        422,
        "start",
        "invalid_input",
    ),
    ("POST", "/v1/organizations", (RAW, DEEP), 400, "body", "bad_request"),
    ("POST", "/v1/contracts", (RAW, DEEP), 400, "body", "bad_request"),
    (
        "POST",
        "/v1/organizations",
        (RAW, json.dumps({"name": "x" * (70 * 1024)})),
        413,
        "body",
        "payload_too_large",
    ),
    ("GET", f"/v1/contracts?cursor={FORGED_CURSOR}", None, 400, "cursor", "invalid_cursor"),
    (
        "GET",
        "/v1/contracts?organization_id={org}&cursor=" + FORGED_CURSOR,
        None,
        400,
        "cursor",
        "invalid_cursor",
    ),
    ("GET", "/v1/contracts/{contract}/codes?cursor=" + FORGED_CURSOR, None, 400, "cursor", "invalid_cursor"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "field", "code"), ADMIN_EDGE_CASES)
def test_admin_inputs_that_once_failed_get_a_4xx(admin_http, unique, method, path, body, status, field, code):
    # Given an organization and a contract
    org = builders.organization(unique)
    contract = builders.contract(org)
    path = path.format(org=org.id, contract=contract.id)
    if isinstance(body, dict) and path == "/v1/contracts":
        body = {"organization_id": org.id, "name": "Edge", "membership_type": "code", **body}
    # When an operator sends the input
    answer = _send(admin_http, method, path, body, {})
    # Then it is refused with the field named, not a 500
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), answer.text[:500]
    assert field in [d["field"] for d in answer.json()["error"]["details"]]
