"""The Keycloak admin API client against the fake Keycloak: token cached and renewed, bounded
requests, unknown users; and the event claim that deduplicates webhook deliveries."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from b2b.db import webhook_events
from b2b.domain.model import utcnow
from b2b.keycloak import KeycloakClient, KeycloakConfig, KeycloakUnavailable
from b2b_local.fake_keycloak import fake_keycloak
from keycloak_hook import handler as hook
from keycloak_hook.signature import sign_keycloak

from tests.factories import call, generate_api_gw_event
from tests.keycloak_support import access_event, keycloak_settings


@pytest.fixture
def keycloak():
    with fake_keycloak() as fake:
        yield fake


def client_for(fake, **overrides) -> KeycloakClient:
    config = KeycloakConfig(
        base_url=fake.url,
        realm=fake.realm,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        timeout_seconds=0.3,
        attempts=2,
        backoff_seconds=0.01,
    )
    return KeycloakClient(KeycloakConfig(**{**config.__dict__, **overrides}))


def test_memberships_with_one_token_for_many_lookups(keycloak):
    acme = keycloak.add_organization("acme")
    globex = keycloak.add_organization("globex", enabled=False)
    keycloak.add_member(acme, "u-1")
    keycloak.add_member(globex, "u-1")
    keycloak.add_user("u-2")
    client = client_for(keycloak)

    first = client.organizations_of("u-1")
    second = client.organizations_of("u-2")

    assert first is not None
    assert sorted((o.alias, o.id, o.enabled) for o in first) == [
        ("acme", acme, True),
        ("globex", globex, False),
    ]
    assert second == []
    assert keycloak.token_calls == 1


def test_unknown_user_is_none(keycloak):
    assert client_for(keycloak).organizations_of("nobody") is None


def test_a_revoked_token_is_renewed_once(keycloak):
    keycloak.add_user("u-1")
    client = client_for(keycloak)
    client.organizations_of("u-1")
    keycloak.tokens.clear()  # Keycloak forgot the token (restart, revocation)

    assert client.organizations_of("u-1") == []
    assert keycloak.token_calls == 2


def test_wrong_client_secret_is_unavailable_not_a_crash(keycloak):
    with pytest.raises(KeycloakUnavailable, match="token request refused"):
        client_for(keycloak, client_secret="wrong").organizations_of("u-1")


def test_no_attempt_starts_past_the_deadline(keycloak):
    keycloak.add_user("u-1")
    client = client_for(keycloak, timeout_seconds=5.0, attempts=5)
    client.access_token()
    keycloak.delay_seconds = 2.0

    started = time.monotonic()
    with pytest.raises(KeycloakUnavailable):
        client.organizations_of("u-1", deadline=started + 0.4)

    assert time.monotonic() - started < 0.8


def test_event_claim_lease_and_takeover():
    event_id = str(uuid.uuid4())
    now = utcnow()
    # The first delivery claims it; a second one while the lease runs is told it is in progress
    assert webhook_events.claim("test", event_id, now, 60, 3600) == "claimed"
    assert webhook_events.claim("test", event_id, now, 60, 3600) == "in_progress"
    # A delivery after the lease ran out (the first one crashed) takes it over
    later = now + timedelta(seconds=61)
    assert webhook_events.claim("test", event_id, later, 60, 3600) == "claimed"
    # Once done, every further delivery is a duplicate, and a release no longer undoes it
    webhook_events.finish("test", event_id, later, 3600)
    webhook_events.release("test", event_id)
    assert webhook_events.claim("test", event_id, later + timedelta(hours=1), 60, 3600) == "done"


def test_a_delivery_while_another_holds_the_event_is_503_so_the_extension_retries(unique):
    with keycloak_settings() as fake:
        fake.add_user(f"busy-{unique}")
        body = access_event(f"busy-{unique}")
        event_id = body.split('"id":"', 1)[1].split('"', 1)[0]
        assert webhook_events.claim("keycloak", event_id, utcnow(), 60, 3600) == "claimed"

        response = call(
            hook.lambda_handler,
            generate_api_gw_event(
                "POST",
                "/v1/hooks/keycloak",
                raw_body=body,
                headers={"x-keycloak-signature": sign_keycloak("local-webhook-secret", body)},
            ),
        )

        assert response.status == 503
        assert response.body["error"]["code"] == "in_progress"
        assert fake.lookup_calls == 0


def test_a_rotated_client_secret_is_picked_up_after_a_refusal(unique):
    from b2b.services import keycloak_events
    from b2b.settings import get_settings

    with keycloak_settings() as fake:
        fake.add_user(f"rot-{unique}")
        assert keycloak_events.lookup_organizations(f"rot-{unique}", None) == []
        # When Keycloak's client secret is regenerated and the store gets the new value
        fake.client_secret = "regenerated"
        fake.tokens.clear()
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("KEYCLOAK_CLIENT_SECRET", "regenerated")
            get_settings.cache_clear()
            # Then the first lookup is refused (the client still holds the old secret) ...
            with pytest.raises(KeycloakUnavailable):
                keycloak_events.lookup_organizations(f"rot-{unique}", None)
            # ... and the next one reads the secret again and succeeds
            assert keycloak_events.lookup_organizations(f"rot-{unique}", None) == []
