"""Pure rules of SSO attachment and default enrollments (no network)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from b2b.domain.enrollments import DefaultEnrollmentIntention
from b2b.domain.model import Contract, MembershipType, Product, utcnow
from b2b.services.default_enrollments import NotEnrollable, RunChoice, resolve_run
from b2b.services.sso import ineligibility, organization_ids_from_claim
from keycloak_hook.signature import is_valid, sign

NOW = utcnow()


def a_contract(**changes) -> Contract:
    fields = {
        "id": 1,
        "organization_id": 1,
        "name": "c",
        "slug": "c",
        "description": "",
        "membership_type": MembershipType.AUTO,
        "start": None,
        "end": None,
        "active": True,
        "max_learners": None,
        "price": None,
        "welcome_message": "",
        "created_at": NOW,
        "updated_at": NOW,
        "version": 1,
    } | changes
    return Contract(**fields)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, None),
        ({"price": Decimal(0)}, None),
        ({"price": Decimal("10.00")}, "priced"),
        ({"membership_type": MembershipType.MANAGED}, "not_auto"),
        ({"membership_type": MembershipType.CODE}, "not_auto"),
        ({"active": False}, "not_open"),
        ({"end": NOW - timedelta(seconds=1)}, "not_open"),
        ({"start": NOW + timedelta(days=1)}, "not_open"),
    ],
)
def test_which_contracts_sso_joins(changes, expected):
    assert ineligibility(a_contract(**changes), NOW) == expected


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        (None, None),
        ('{"acme":{"id":"u-1"},"beta":{"id":"u-2"}}', ["u-1", "u-2"]),
        ({"acme": {"id": "u-1"}}, ["u-1"]),
        ("{}", []),
        ('{"acme":{}}', ["acme"]),  # a map entry without an id: the alias
        ("not json", None),
        # Keycloak 26's default mapper: a list of aliases (flattened to "[a b]" by the JWT authorizer)
        ("[acme]", ["acme"]),
        ("[acme globex]", ["acme", "globex"]),
        (["globex", "acme", "acme"], ["acme", "globex"]),
        ('["acme"]', ["acme"]),
        ("acme", ["acme"]),
        ("[]", []),
    ],
)
def test_organization_claim_parsing(claim, expected):
    assert organization_ids_from_claim(claim) == expected


def test_signature_rules():
    body = '{"type":"LOGIN"}'
    header = sign("s3cret", 1_000, body)
    assert is_valid("s3cret", header, body, 1_100, 300)
    assert not is_valid("s3cret", header, body + " ", 1_100, 300)
    assert not is_valid("other", header, body, 1_100, 300)
    assert not is_valid("s3cret", header, body, 1_301, 300)
    assert not is_valid(None, header, body, 1_100, 300)
    assert not is_valid("s3cret", None, body, 1_100, 300)
    assert not is_valid("s3cret", "v1=abc", body, 1_100, 300)
    # A second v1 (secret rotation) is accepted when one of them matches
    rotated = header + ",v1=" + sign("old", 1_000, body).split("v1=")[1]
    assert is_valid("old", rotated, body, 1_100, 300)


def product(
    pid: int, course: str, run: str, start_days: int | None, end_days: int | None, active: bool = True
) -> Product:
    return Product(
        id=pid,
        contract_id=1,
        run_id=run,
        course_id=course,
        title="",
        price=Decimal(0),
        active=active,
        created_at=NOW,
        run_start=None if start_days is None else NOW + timedelta(days=start_days),
        run_end=None if end_days is None else NOW + timedelta(days=end_days),
    )


def intention(kind: str, key: str) -> DefaultEnrollmentIntention:
    return DefaultEnrollmentIntention(id=1, contract_id=1, kind=kind, content_key=key, created_at=NOW)  # type: ignore[arg-type]


PRODUCTS = [
    product(1, "C", "C+2024", -800, -400),
    product(2, "C", "C+2025", -300, 30),
    product(3, "C", "C+2026", -10, None),
    product(4, "C", "C+2027", 100, 400),
    product(5, "D", "D+OLD", -100, -1),
    product(6, "E", "E+SOON", 5, 50),
    product(7, "F", "F+OFF", -5, 50, active=False),
]


@pytest.mark.parametrize(
    ("kind", "key", "expected"),
    [
        ("course", "C", RunChoice("C+2026", 3)),  # the newest open run, not the future one
        ("run", "C+2025", RunChoice("C+2025", 2)),  # a named run, even if not the newest
        ("run", "C+2024", NotEnrollable("run_closed")),
        ("course", "D", NotEnrollable("run_closed")),
        ("course", "E", NotEnrollable("run_not_started")),
        ("course", "F", NotEnrollable("run_inactive")),
        ("course", "Z", NotEnrollable("not_in_contract")),
        ("run", "Z+1", NotEnrollable("not_in_contract")),
    ],
)
def test_run_resolution(kind, key, expected):
    assert resolve_run(intention(kind, key), PRODUCTS, NOW) == expected


def test_sample_webhook_request_is_signed_with_the_local_secret():
    import json
    from pathlib import Path

    from b2b.settings import LOCAL_WEBHOOK_SECRET

    event = json.loads(
        (Path(__file__).resolve().parents[2] / "events" / "keycloak_webhook_request.json").read_text()
    )
    header = event["headers"]["x-signature"]
    sent_at = int(header.split(",")[0].removeprefix("t="))
    assert is_valid(LOCAL_WEBHOOK_SECRET, header, event["body"], sent_at + 10, 300)
    assert not is_valid(LOCAL_WEBHOOK_SECRET, header, event["body"], sent_at + 301, 300)


def test_keycloak_events_signature_is_the_hex_hmac_of_the_raw_body():
    from keycloak_hook.signature import is_valid_keycloak, sign_keycloak

    # The well-known HMAC-SHA256 test vector, as the extension's calculateHmacSha writes it (lower-case hex)
    body = "The quick brown fox jumps over the lazy dog"
    expected = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    assert sign_keycloak("key", body) == expected
    assert is_valid_keycloak("key", expected, body)
    assert is_valid_keycloak("key", expected.upper(), body)
    assert not is_valid_keycloak("key", expected, body + " ")
    assert not is_valid_keycloak("other", expected, body)
    assert not is_valid_keycloak(None, expected, body)
    assert not is_valid_keycloak("key", "", body)


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("access.LOGIN", "login"),
        ("access.REGISTER", "login"),
        ("access.IDENTITY_PROVIDER_FIRST_LOGIN", "login"),
        ("LOGIN", "login"),  # the older format
        ("admin.ORGANIZATION_MEMBERSHIP-DELETE", "membership"),
        ("admin.ORGANIZATION_MEMBERSHIP-CREATE", "membership"),
        ("access.LOGOUT", "other"),
        ("access.LOGIN_ERROR", "other"),
        ("admin.USER-CREATE", "other"),
    ],
)
def test_which_keycloak_events_count(event_type, kind):
    from b2b.services.keycloak_events import event_kind

    assert event_kind(event_type) == kind


def test_member_named_by_a_membership_event_path():
    from b2b.services.keycloak_events import member_of_path

    assert member_of_path("organizations/o-1/members/u-1") == "u-1"
    assert member_of_path("organizations/o-1/members") is None
    assert member_of_path(None) is None
