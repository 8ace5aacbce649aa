"""Claim parsing: each form API Gateway and the identity providers give a groups or roles claim."""

from __future__ import annotations

import pytest
from b2b.api.auth import claim_values


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        # A Lambda invoked with the decoded token (or a test): a real list
        (["admin", "staff"], ["admin", "staff"]),
        # API Gateway HTTP API's rendering of an array claim, with and without commas
        ("[admin staff]", ["admin", "staff"]),
        ("[admin, staff]", ["admin", "staff"]),
        ("[ admin ,staff ]", ["admin", "staff"]),
        # JSON text
        ('["admin", "staff"]', ["admin", "staff"]),
        # Space- and comma-separated strings (OAuth scope style, some IdP mappers)
        ("admin staff", ["admin", "staff"]),
        ("admin,staff", ["admin", "staff"]),
        # One value
        ("admin", ["admin"]),
        # Nothing
        ("", []),
        ("[]", []),
        (None, []),
    ],
)
def test_groups_claim_forms(claim, expected):
    assert claim_values({"cognito:groups": claim}, "cognito:groups") == expected


@pytest.mark.parametrize(
    "realm_access",
    [
        {"roles": ["offline_access", "admin"]},  # a real object
        '{"roles":["offline_access","admin"]}',  # API Gateway passes object claims as JSON text
        {"roles": "[offline_access admin]"},  # an object holding a rendered array
        {"roles": '["offline_access","admin"]'},
    ],
)
def test_nested_keycloak_realm_roles(realm_access):
    claims = {"sub": "u", "realm_access": realm_access}
    assert claim_values(claims, "realm_access.roles") == ["offline_access", "admin"]


def test_missing_or_misshapen_paths_give_nothing():
    assert claim_values({"sub": "u"}, "realm_access.roles") == []
    assert claim_values({"realm_access": "not json"}, "realm_access.roles") == []
    assert claim_values({"realm_access": {"roles": {"admin": True}}}, "realm_access.roles") == []


def test_a_claim_name_containing_dots_is_read_whole():
    claims = {"https://example.org/roles": "[admin]"}
    assert claim_values(claims, "https://example.org/roles") == ["admin"]
