"""Pure rules: derived keys, membership aliases, claim parsing, cursors, contract openness."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from b2b.api.auth import claim_values
from b2b.db.paging import decode_cursor, encode_cursor
from b2b.domain.errors import BadRequest, InvalidInput
from b2b.domain.model import Contract, MembershipType
from b2b.services.organizations import derive_org_key, slug_for
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("UniversityX", "UNIVERSITYX"),
        ("Université de Genève", "UNIVERSITE_DE_GENEVE"),
        ("  A -- b & c  ", "A_B_C"),
        ("x" * 40, "X" * 30),
        ("The Massachusetts Institute of Technology", "THE_MASSACHUSETTS_INSTITUTE_OF"),
    ],
)
def test_org_key_is_derived_from_the_name(name, key):
    assert derive_org_key(name) == key


@given(st.text(min_size=1, max_size=80))
def test_a_derived_org_key_always_fits_the_rules(name):
    try:
        key = derive_org_key(name)
    except InvalidInput:
        return
    assert 1 <= len(key) <= 30
    assert set(key) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
    assert not key.startswith("_") and not key.endswith("_")


def test_slug():
    assert slug_for("UniversityX Contract") == "universityx-contract"


@pytest.mark.parametrize(
    ("given_type", "expected"),
    [("sso", "auto"), ("non-sso", "code"), ("AUTO", "auto"), ("managed", "managed"), (" code ", "code")],
)
def test_membership_type_accepts_the_seed_aliases(given_type, expected):
    assert MembershipType.parse(given_type).value == expected


@pytest.mark.parametrize(
    ("claims", "path", "values"),
    [
        ({"cognito:groups": "[admin staff]"}, "cognito:groups", ["admin", "staff"]),
        ({"cognito:groups": ["admin"]}, "cognito:groups", ["admin"]),
        ({"realm_access": '{"roles":["admin"]}'}, "realm_access.roles", ["admin"]),
        ({"realm_access": {"roles": ["x", "admin"]}}, "realm_access.roles", ["x", "admin"]),
        ({"groups": "admin,ops"}, "groups", ["admin", "ops"]),
        ({}, "cognito:groups", []),
        ({"realm_access": "not json"}, "realm_access.roles", []),
    ],
)
def test_claim_values_reads_every_authorizer_shape(claims, path, values):
    assert claim_values(claims, path) == values


def test_cursor_round_trip_and_rejections():
    key = {
        "pk": {"S": "CONTRACT#1"},
        "sk": {"S": "CONTRACT"},
        "gsi2pk": {"S": "CONTRACTS"},
        "gsi2sk": {"S": "C"},
    }
    cursor = encode_cursor(key)
    assert cursor is not None and "CONTRACT" not in cursor
    assert decode_cursor(cursor, ("gsi2pk", "CONTRACTS")) == key
    payload, _, signature = cursor.partition(".")
    unsigned = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
    for bad in [
        (cursor, ("gsi1pk", "ORGS")),  # a genuine cursor of another list
        ("not*a*cursor", ("gsi2pk", "CONTRACTS")),
        (payload, ("gsi2pk", "CONTRACTS")),  # the signature cut off
        (f"{unsigned}.{signature}", ("gsi2pk", "CONTRACTS")),  # another payload under a stolen signature
    ]:
        with pytest.raises(BadRequest) as refused:
            decode_cursor(*bad)
        assert (refused.value.code, refused.value.details[0].field) == ("invalid_cursor", "cursor")
    assert encode_cursor(None) is None and decode_cursor(None, ("pk", "x")) is None


def _contract(**changes) -> Contract:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    values = dict(
        id=1,
        organization_id=1,
        name="n",
        slug="n",
        description="",
        membership_type=MembershipType.AUTO,
        start=None,
        end=None,
        active=True,
        max_learners=None,
        price=None,
        welcome_message="",
        created_at=now,
        updated_at=now,
        version=1,
    )
    return Contract(**(values | changes))


def test_contract_is_open_between_start_and_end():
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert _contract().is_open(now)
    assert not _contract(active=False).is_open(now)
    assert not _contract(start=now + timedelta(seconds=1)).is_open(now)
    assert _contract(start=now).is_open(now)
    assert not _contract(end=now).is_open(now)


def test_which_contracts_need_codes():
    assert not _contract().needs_codes
    assert _contract(price=Decimal("0.01")).needs_codes
    assert not _contract(price=Decimal(0)).needs_codes
    assert _contract(membership_type=MembershipType.CODE).needs_codes
    assert _contract(membership_type=MembershipType.MANAGED).needs_codes
