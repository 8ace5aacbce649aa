"""The admin handler in-process with API Gateway events: status codes, error bodies, auth."""

from __future__ import annotations

import pytest
from admin_api.handler import lambda_handler

from tests.factories import admin_claims, call, generate_api_gw_event, learner_claims


def admin(method: str, path: str, body=None, **kwargs):
    return call(lambda_handler, generate_api_gw_event(method, path, body, claims=admin_claims(), **kwargs))


@pytest.fixture
def org_id(unique) -> int:
    result = admin("POST", "/v1/organizations", {"name": f"Api Org {unique}"})
    assert result.status == 201
    return result.body["id"]


@pytest.fixture
def contract_id(org_id) -> int:
    result = admin(
        "POST", "/v1/contracts", {"organization_id": org_id, "name": "Api", "membership_type": "code"}
    )
    assert result.status == 201
    return result.body["id"]


def test_no_claims_is_401_and_learner_is_403():
    anonymous = call(lambda_handler, generate_api_gw_event("GET", "/v1/contracts"))
    learner = call(lambda_handler, generate_api_gw_event("GET", "/v1/contracts", claims=learner_claims()))
    assert (anonymous.status, anonymous.body["error"]["code"]) == (401, "unauthorized")
    assert (learner.status, learner.body["error"]["code"]) == (403, "admin_required")


def test_health_needs_no_token():
    assert call(lambda_handler, generate_api_gw_event("GET", "/v1/health")).body["status"] == "ok"


def test_keycloak_roles_claim_grants_admin(monkeypatch):
    from b2b.settings import Settings

    monkeypatch.setattr(
        "b2b.api.auth.get_settings", lambda: Settings.model_validate({"ADMIN_CLAIM": "realm_access.roles"})
    )
    claims = {"sub": "kc-admin", "realm_access": '{"roles":["offline_access","admin"]}'}
    result = call(lambda_handler, generate_api_gw_event("GET", "/v1/organizations", claims=claims))
    assert result.status == 200


def test_seed_alias_sso_becomes_auto_and_price_is_a_two_decimal_string(org_id):
    result = admin(
        "POST",
        "/v1/contracts",
        {"organization_id": org_id, "name": "Alias", "membership_type": "sso", "price": 12.5},
    )
    assert result.status == 201
    assert result.body["membership_type"] == "auto"
    assert result.body["price"] == "12.50"
    assert result.headers["Location"] == f"/v1/contracts/{result.body['id']}"


def test_create_by_organization_name(unique):
    missing = admin(
        "POST",
        "/v1/contracts",
        {"organization_name": f"Nobody {unique}", "name": "X", "membership_type": "code"},
    )
    assert (missing.status, missing.body["error"]["code"]) == (404, "organization_not_found")
    created = admin(
        "POST",
        "/v1/contracts",
        {
            "organization_name": f"Somebody {unique}",
            "create_organization": True,
            "name": "X",
            "membership_type": "code",
        },
    )
    assert created.status == 201


def test_patch_with_stale_if_match_is_409(contract_id):
    assert admin("PATCH", f"/v1/contracts/{contract_id}", {"name": "v2"}).status == 200
    stale = admin("PATCH", f"/v1/contracts/{contract_id}", {"name": "v3"}, headers={"if-match": '"1"'})
    assert (stale.status, stale.body["error"]["code"]) == (409, "version_conflict")
    assert admin("GET", f"/v1/contracts/{contract_id}").body["name"] == "v2"


def test_delete_deactivates(contract_id):
    result = admin("DELETE", f"/v1/contracts/{contract_id}")
    assert (result.status, result.body["active"], result.body["is_open"]) == (200, False, False)
    assert admin("GET", f"/v1/contracts/{contract_id}").status == 200


def test_unknown_ids_are_404():
    assert admin("GET", "/v1/contracts/987654321").body["error"]["code"] == "contract_not_found"
    assert admin("GET", "/v1/organizations/987654321").body["error"]["code"] == "organization_not_found"


# (method, path template, body, expected status, field named in the error details)
MALFORMED = [
    ("POST", "/v1/organizations", {}, 422, "name"),
    ("POST", "/v1/organizations", {"name": ""}, 422, "name"),
    ("POST", "/v1/organizations", {"name": "x" * 201}, 422, "name"),
    ("POST", "/v1/organizations", {"name": "Ok", "org_key": "lower"}, 422, "org_key"),
    ("POST", "/v1/organizations", {"name": "Ok", "org_key": "K" * 31}, 422, "org_key"),
    ("POST", "/v1/organizations", {"name": "Ok", "colour": "red"}, 422, "colour"),
    ("POST", "/v1/organizations", {"name": 12}, 422, "name"),
    ("POST", "/v1/organizations", {"name": "!!!"}, 422, "name"),
    ("POST", "/v1/organizations", [1, 2], 422, "body"),
    ("PATCH", "/v1/organizations/{org}", {"name": None}, 422, "name"),
    ("PATCH", "/v1/organizations/{org}", {"org_key": "NEW"}, 422, "org_key"),
    ("POST", "/v1/contracts", {"organization_id": "{org}", "membership_type": "code"}, 422, "name"),
    (
        "POST",
        "/v1/contracts",
        {"organization_id": "{org}", "name": "C", "membership_type": "vip"},
        422,
        "membership_type",
    ),
    (
        "POST",
        "/v1/contracts",
        {"organization_id": "{org}", "name": "C", "membership_type": "code", "max_learners": 0},
        422,
        "max_learners",
    ),
    (
        "POST",
        "/v1/contracts",
        {"organization_id": "{org}", "name": "C", "membership_type": "code", "price": -1},
        422,
        "price",
    ),
    (
        "POST",
        "/v1/contracts",
        {"organization_id": "{org}", "name": "C", "membership_type": "code", "price": "1.234"},
        422,
        "price",
    ),
    (
        "POST",
        "/v1/contracts",
        {"organization_id": "{org}", "name": "C", "membership_type": "code", "price": "NaN"},
        422,
        "price",
    ),
    (
        "POST",
        "/v1/contracts",
        {
            "organization_id": "{org}",
            "name": "C",
            "membership_type": "code",
            "start": "2030-01-02T00:00:00Z",
            "end": "2030-01-01T00:00:00Z",
        },
        422,
        "end",
    ),
    (
        "POST",
        "/v1/contracts",
        {"organization_id": "{org}", "name": "C", "membership_type": "code", "start": "not a date"},
        422,
        "start",
    ),
    (
        "POST",
        "/v1/contracts",
        {"organization_id": "{org}", "name": "C", "membership_type": "code", "seats": 3},
        422,
        "seats",
    ),
    ("POST", "/v1/contracts", {"name": "C", "membership_type": "code"}, 422, "organization_id"),
    (
        "POST",
        "/v1/contracts",
        {"organization_id": "{org}", "organization_name": "Both", "name": "C", "membership_type": "code"},
        422,
        "organization_name",
    ),
    (
        "POST",
        "/v1/contracts",
        {"organization_id": -4, "name": "C", "membership_type": "code"},
        422,
        "organization_id",
    ),
    ("PATCH", "/v1/contracts/{contract}", {"active": None}, 422, "active"),
    ("PATCH", "/v1/contracts/{contract}", {"membership_type": None}, 422, "membership_type"),
    ("PATCH", "/v1/contracts/{contract}", {"max_learners": -5}, 422, "max_learners"),
    (
        "PATCH",
        "/v1/contracts/{contract}",
        {"end": "2000-01-01T00:00:00Z", "start": "2001-01-01T00:00:00Z"},
        422,
        "end",
    ),
    ("GET", "/v1/contracts/abc", None, 422, "contract_id"),
    ("GET", "/v1/contracts/0", None, 422, "contract_id"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "field"), MALFORMED)
def test_malformed_input_gets_a_4xx_naming_the_field(method, path, body, status, field, org_id, contract_id):
    path = path.format(org=org_id, contract=contract_id)
    if isinstance(body, dict):
        body = {k: (org_id if v == "{org}" else v) for k, v in body.items()}
    result = admin(method, path, body)
    assert result.status == status, result.body
    assert field in [d["field"] for d in result.body["error"]["details"]], result.body


@pytest.mark.parametrize("raw", ["{not json", "", "null", '{"name": "a",}'])
def test_unparseable_bodies_are_4xx(raw):
    result = admin("POST", "/v1/organizations", raw_body=raw)
    assert result.status in (400, 422)
    assert result.body["error"]["details"][0]["field"] == "body"


def test_bad_cursor_is_400_and_bad_limit_422():
    assert (
        admin("GET", "/v1/contracts", query={"cursor": "%%%"}).body["error"]["details"][0]["field"]
        == "cursor"
    )
    assert admin("GET", "/v1/contracts", query={"limit": "0"}).body["error"]["details"][0]["field"] == "limit"
    forged = admin("GET", "/v1/contracts", query={"cursor": "eyJwayI6eyJTIjoiWCJ9fQ"})
    assert (forged.status, forged.body["error"]["code"]) == (400, "invalid_cursor")


def test_openapi_lists_the_admin_routes():
    spec = call(lambda_handler, generate_api_gw_event("GET", "/v1/openapi.json")).body
    assert {"/v1/organizations", "/v1/contracts", "/v1/contracts/{contract_id}"} <= set(spec["paths"])


def test_json_sent_as_a_form_is_read_as_json(unique):
    # curl -d sends application/x-www-form-urlencoded unless told otherwise.
    event = generate_api_gw_event(
        "POST",
        "/v1/organizations",
        {"name": f"Curl {unique}"},
        claims=admin_claims(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert call(lambda_handler, event).status == 201
