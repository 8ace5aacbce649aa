"""Helpers for the Keycloak tests: webhook bodies byte-for-byte in the keycloak-events format, and
the fake Keycloak wired into the functions' settings."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from b2b.services import keycloak_events
from b2b.settings import get_settings
from b2b_local.fake_keycloak import FakeKeycloak, fake_keycloak

from tests.sso_support import EVENTS


def access_event(user: str, event_type: str = "access.LOGIN", **fields: Any) -> str:
    """A user event as the extension posts it (compact JSON, the sample's fields), about ``user``."""
    event = json.loads((EVENTS / "keycloak_events_access_login.json").read_text())
    event["id"] = str(uuid.uuid4())
    event["time"] = int(time.time() * 1000)
    event["type"] = event_type
    event["authDetails"]["userId"] = user
    event.update(fields)
    return json.dumps(event, separators=(",", ":"))


def membership_removed_event(org_id: str, user: str) -> str:
    """The admin event Keycloak emits when a member is removed from an organization."""
    event = {
        "id": str(uuid.uuid4()),
        "time": int(time.time() * 1000),
        "realmId": "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "type": "admin.ORGANIZATION_MEMBERSHIP-DELETE",
        "operationType": "DELETE",
        "resourceType": "ORGANIZATION_MEMBERSHIP",
        "resourcePath": f"organizations/{org_id}/members/{user}",
        "authDetails": {"realmId": "master", "clientId": "security-admin-console", "userId": "admin-1"},
        "representation": json.dumps({"id": org_id}),
        "details": {"username": f"{user}@example.com"},
    }
    return json.dumps(event, separators=(",", ":"))


@contextmanager
def keycloak_settings(**env: str) -> Iterator[FakeKeycloak]:
    """A fake Keycloak, and the functions' settings pointing at it (as the template sets them)."""
    with fake_keycloak() as fake, pytest.MonkeyPatch.context() as patch:
        values = {
            "KEYCLOAK_URL": fake.url,
            "KEYCLOAK_REALM": fake.realm,
            "KEYCLOAK_CLIENT_ID": fake.client_id,
            "KEYCLOAK_CLIENT_SECRET": fake.client_secret,
            "KEYCLOAK_TIMEOUT_SECONDS": "0.3",
        } | env
        for key, value in values.items():
            patch.setenv(key, value)
        get_settings.cache_clear()
        keycloak_events._client.cache_clear()
        try:
            yield fake
        finally:
            get_settings.cache_clear()
            keycloak_events._client.cache_clear()
