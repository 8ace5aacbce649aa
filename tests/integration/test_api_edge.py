"""The API's edge, in-process: inputs that once answered 500, authorization before validation, cursors."""

from __future__ import annotations

import base64
import json

import pytest
from admin_api.handler import lambda_handler as admin_handler
from b2b_local.template import read_template
from checkout_api.handler import lambda_handler as checkout_handler
from learner_api.handler import lambda_handler as learner_handler

from tests.factories import admin_claims, call, generate_api_gw_event, learner_claims

DEEP = "[" * 10_000 + "]" * 10_000  # 20 KB, nested far beyond what a parser should recurse into
HANDLERS = {
    "AdminApiFunction": admin_handler,
    "CheckoutApiFunction": checkout_handler,
    "LearnerApiFunction": learner_handler,
}


def admin(method, path, body=None, **kwargs):
    return call(admin_handler, generate_api_gw_event(method, path, body, claims=admin_claims(), **kwargs))


def error_fields(result) -> list[str]:
    return [d["field"] for d in result.body["error"]["details"]]


@pytest.fixture
def org_id(unique) -> int:
    result = admin("POST", "/v1/organizations", {"name": f"Edge Org {unique}"})
    assert result.status == 201
    return result.body["id"]


@pytest.fixture
def contract_id(org_id) -> int:
    result = admin(
        "POST", "/v1/contracts", {"organization_id": org_id, "name": "Edge", "membership_type": "code"}
    )
    assert result.status == 201
    return result.body["id"]


# --- dates that overflow when converted to UTC --------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start", "9999-12-31T23:00:00-05:00"),
        ("end", "0001-01-01T00:00:00+05:00"),
        ("start", "9999-12-31T23:59:59Z"),
        ("end", "1969-12-31T23:59:59Z"),
    ],
)
def test_dates_out_of_range_are_422_on_contract_create_and_patch(field, value, org_id, contract_id):
    # Given dates beyond what a UTC conversion can hold, or outside the accepted range
    body = {"organization_id": org_id, "name": "C", "membership_type": "code", field: value}
    # When a contract is created or patched with them
    created = admin("POST", "/v1/contracts", body)
    patched = admin("PATCH", f"/v1/contracts/{contract_id}", {field: value})
    # Then both answer 422 naming the date, and nothing changed
    assert (created.status, error_fields(created)) == (422, [field])
    assert (patched.status, error_fields(patched)) == (422, [field])
    assert admin("GET", f"/v1/contracts/{contract_id}").body[field] is None


@pytest.mark.parametrize(
    ("field", "value"), [("start", "9999-12-31T23:00:00-05:00"), ("end", "0001-01-01T00:00:00+05:00")]
)
def test_dates_out_of_range_are_422_on_catalog_runs(field, value, unique):
    body = {"run_id": f"course-v1:UAI_EDGE+{unique}+SOURCE", field: value}
    result = admin("POST", "/v1/catalog/course-runs", body)
    assert (result.status, error_fields(result)) == (422, [field])


def test_the_range_bounds_are_accepted(org_id):
    body = {
        "organization_id": org_id,
        "name": "Bounds",
        "membership_type": "code",
        "start": "1970-01-01T00:00:00Z",
        "end": "2999-12-31T23:59:59Z",
    }
    result = admin("POST", "/v1/contracts", body)
    assert result.status == 201, result.body
    assert (result.body["start"], result.body["end"]) == ("1970-01-01T00:00:00Z", "2999-12-31T23:59:59Z")


# --- body depth and size ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handler", "path", "claims"),
    [
        (admin_handler, "/v1/organizations", admin_claims()),
        (admin_handler, "/v1/contracts", admin_claims()),
        (checkout_handler, "/v1/checkout/validate", learner_claims()),
        (checkout_handler, "/v1/checkout/complete", learner_claims()),
    ],
)
def test_deeply_nested_json_is_400_before_parsing(handler, path, claims):
    # Given a 10,000-deep array (it made the JSON parser overflow the stack)
    result = call(handler, generate_api_gw_event("POST", path, claims=claims, raw_body=DEEP))
    # Then the answer is 400 naming the body
    assert (result.status, result.body["error"]["code"], error_fields(result)) == (
        400,
        "bad_request",
        ["body"],
    )


def test_nesting_up_to_the_limit_reaches_validation_and_brackets_in_strings_do_not_count():
    nested = {"name": "x", "description": "[" * 5000}
    shallow = call(
        admin_handler,
        generate_api_gw_event(
            "POST",
            "/v1/organizations",
            claims=admin_claims(),
            raw_body=json.dumps({**nested, "x": [[[[1]]]]}),
        ),
    )
    assert (shallow.status, error_fields(shallow)) == (422, ["x"])


def test_a_body_over_64_kib_is_413():
    big = json.dumps({"name": "x", "description": "d" * (64 * 1024)})
    result = admin("POST", "/v1/organizations", raw_body=big)
    assert (result.status, result.body["error"]["code"], error_fields(result)) == (
        413,
        "payload_too_large",
        ["body"],
    )
    encoded = generate_api_gw_event("POST", "/v1/organizations", claims=admin_claims())
    encoded |= {"body": base64.b64encode(big.encode()).decode(), "isBase64Encoded": True}
    assert call(admin_handler, encoded).status == 413


# --- cursors ------------------------------------------------------------------------------------


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "path",
    ["/v1/contracts", "/v1/contracts?organization_id={org}", "/v1/contracts/{contract}/codes"],
)
def test_tampered_cursors_are_400_invalid_cursor(path, org_id, contract_id):
    path, _, query = path.format(org=org_id, contract=contract_id).partition("?")
    params = dict([query.split("=")]) if query else {}
    # Given cursors a client made up: the partition key without the index's sort key (once a 500),
    # unsigned, re-signed with a guessed key, and truncated
    forged = [
        _b64({"pk": {"S": "CONTRACT#1"}, "sk": {"S": "CONTRACT"}, "gsi2pk": {"S": "CONTRACTS"}}),
        _b64({"pk": {"S": "CONTRACT#1"}, "sk": {"S": "CONTRACT"}}) + ".AAAAAAAAAAAAAAAAAAAAAA",
        "e30.",
        ".",
        "%%%",
    ]
    for cursor in forged:
        # When one is passed back
        result = admin("GET", path, query={**params, "cursor": cursor})
        # Then it is refused as an invalid cursor naming the field
        assert (result.status, result.body["error"]["code"], error_fields(result)) == (
            400,
            "invalid_cursor",
            ["cursor"],
        ), cursor


def test_a_genuine_cursor_pages_and_an_edited_one_is_refused(org_id):
    for n in range(3):
        created = admin(
            "POST", "/v1/contracts", {"organization_id": org_id, "name": f"P{n}", "membership_type": "code"}
        )
        assert created.status == 201
    query = {"organization_id": str(org_id), "limit": "2"}
    first = admin("GET", "/v1/contracts", query=query)
    cursor = first.body["next_cursor"]
    second = admin("GET", "/v1/contracts", query={**query, "cursor": cursor})
    assert [c["name"] for c in first.body["items"] + second.body["items"]] == ["P0", "P1", "P2"]
    # Editing one character of the signed payload breaks the signature
    payload, _, signature = cursor.partition(".")
    edited = ("A" if payload[0] != "A" else "B") + payload[1:] + "." + signature
    refused = admin("GET", "/v1/contracts", query={**query, "cursor": edited})
    assert (refused.status, refused.body["error"]["code"]) == (400, "invalid_cursor")
    # A genuine cursor of another list is refused too
    other = admin("GET", "/v1/organizations", query={"cursor": cursor})
    assert (other.status, other.body["error"]["code"]) == (400, "invalid_cursor")


# --- authorization before validation ------------------------------------------------------------

ADMIN_ROUTES = [
    route
    for route in read_template().routes
    if route.function == "AdminApiFunction"
    and not route.public
    and route.path not in {"/v1/docs", "/v1/openapi.json"}
]
BODIES = [None, "{}", "{not json", DEEP, json.dumps({"name": "Valid Name", "membership_type": "code"})]


def _concrete(path: str) -> str:
    return (
        path.replace("{org_id}", "1")
        .replace("{contract_id}", "1")
        .replace("{courseware_id}", "course-v1:X+Y")
        .replace("{user_id}", "someone")
        .replace("{intention_id}", "1")
    )


def test_every_admin_route_is_covered():
    assert len(ADMIN_ROUTES) >= 28


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=lambda r: r.route_key)
def test_a_learner_gets_403_on_every_admin_operation_whatever_the_body(route):
    for body in BODIES:
        # Given a learner's token and any body, valid or not
        event = generate_api_gw_event(
            route.method, _concrete(route.path), claims=learner_claims(), raw_body=body
        )
        # When they call an admin operation
        result = call(admin_handler, event)
        # Then the answer is 403 before anything about the body is said
        assert (result.status, result.body["error"]["code"]) == (403, "admin_required"), (route, body)
        assert result.body["error"]["details"] == []


@pytest.mark.parametrize(
    "route",
    [
        r
        for r in read_template().routes
        if r.function in HANDLERS and not r.public and r.path not in {"/v1/docs", "/v1/openapi.json"}
    ],
    ids=lambda r: r.route_key,
)
def test_no_token_is_401_on_every_operation_whatever_the_body(route):
    event = generate_api_gw_event(route.method, _concrete(route.path).replace("{code}", "X"), raw_body=DEEP)
    result = call(HANDLERS[route.function], event)
    assert (result.status, result.body["error"]["code"]) == (401, "unauthorized"), route


# --- group claims as API Gateway and the identity providers send them ---------------------------


@pytest.mark.parametrize(
    "groups",
    ["[admin, staff]", "[staff admin]", "admin staff", "staff,admin", '["staff","admin"]', "admin"],
)
def test_each_form_of_the_groups_claim_grants_admin(groups):
    claims = {"sub": "claims-admin", "cognito:groups": groups}
    result = call(admin_handler, generate_api_gw_event("GET", "/v1/organizations", claims=claims))
    assert result.status == 200, (groups, result.body)


@pytest.mark.parametrize("groups", ["[administrator, staff]", "[]", "", "staff", '{"admin": true}'])
def test_forms_without_the_admin_group_do_not(groups):
    claims = {"sub": "claims-learner", "cognito:groups": groups}
    result = call(admin_handler, generate_api_gw_event("GET", "/v1/organizations", claims=claims))
    assert result.status == 403, groups
