"""Secrets come from the secret store in deployed stages (Secrets Manager or SSM SecureString via
Powertools Parameters, cached); the plain environment values count only on the local stack."""

from __future__ import annotations

import time
import uuid

import boto3
import pytest
from b2b import secrets
from b2b.openedx import OpenEdxConfig
from b2b.settings import get_settings
from keycloak_hook import handler as hook
from keycloak_hook.signature import sign_keycloak

from tests.factories import call, generate_api_gw_event
from tests.keycloak_support import access_event


@pytest.fixture
def deployed(resources, monkeypatch):
    """A deployed stage's settings, with AWS clients pointing at the test's moto server."""
    monkeypatch.setenv("STAGE", "dev")
    # A deployed stage refuses to start without its cursor key (the tests' is not a secret).
    monkeypatch.setenv("CURSOR_SIGNING_KEY", "test-cursor-signing-key-of-at-least-32-characters")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", resources.endpoint_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", resources.endpoint_url)
    # Deployed stages refuse to start without a cursor signing key (the template's Globals give it)
    monkeypatch.setenv("CURSOR_SIGNING_KEY", "k" * 32)
    # A plain variable that must be ignored outside the local stack
    monkeypatch.setenv("KEYCLOAK_WEBHOOK_SECRET", "plain-env-secret")
    get_settings.cache_clear()
    yield resources
    get_settings.cache_clear()


def _secretsmanager(resources):
    return boto3.client("secretsmanager", endpoint_url=resources.endpoint_url, region_name="us-east-1")


def test_webhook_secret_is_read_from_secrets_manager_and_the_plain_variable_is_ignored(deployed, monkeypatch):
    name = f"b2b-dev/keycloak-webhook-secret-{uuid.uuid4().hex[:8]}"
    arn = _secretsmanager(deployed).create_secret(Name=name, SecretString="from-the-store")["ARN"]
    monkeypatch.setenv("KEYCLOAK_WEBHOOK_SECRET_ID", arn)
    get_settings.cache_clear()
    body = access_event("nobody", event_type="access.LOGOUT")

    def deliver(secret: str):
        headers = {"x-keycloak-signature": sign_keycloak(secret, body)}
        event = generate_api_gw_event("POST", "/v1/hooks/keycloak", raw_body=body, headers=headers)
        return call(hook.lambda_handler, event)

    # A call signed with the stored secret is accepted (a logout: acknowledged, nothing to do)
    assert deliver("from-the-store").status == 202
    # One signed with the plain variable's value is refused in a deployed stage
    assert deliver("plain-env-secret").status == 401


def test_ssm_securestring_reference_and_the_cache(deployed, monkeypatch):
    ssm = boto3.client("ssm", endpoint_url=deployed.endpoint_url, region_name="us-east-1")
    name = f"/b2b/dev/keycloak-client-secret-{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=name, Value="first", Type="SecureString")
    monkeypatch.setenv("KEYCLOAK_CLIENT_SECRET_ID", f"ssm:{name}")
    monkeypatch.setenv("SECRETS_MAX_AGE_SECONDS", "1")
    get_settings.cache_clear()

    assert secrets.keycloak_client_secret() == "first"
    ssm.put_parameter(Name=name, Value="rotated", Type="SecureString", Overwrite=True)
    # Cached: the store is not read again at once
    assert secrets.keycloak_client_secret() == "first"
    time.sleep(1.1)
    assert secrets.keycloak_client_secret() == "rotated"


def test_deployed_stage_without_a_reference_has_no_secret(deployed):
    # No reference and a deployed stage: the plain variables do not count
    assert secrets.keycloak_webhook_secret() is None
    assert secrets.openedx_client_secret() is None


def test_missing_secret_is_a_503_so_the_sender_retries(deployed, monkeypatch):
    monkeypatch.setenv("KEYCLOAK_WEBHOOK_SECRET_ID", f"b2b-dev/missing-{uuid.uuid4().hex[:8]}")
    get_settings.cache_clear()
    body = access_event("someone")
    headers = {"x-keycloak-signature": sign_keycloak("whatever", body)}

    response = call(
        hook.lambda_handler,
        generate_api_gw_event("POST", "/v1/hooks/keycloak", raw_body=body, headers=headers),
    )

    assert response.status == 503
    assert response.body["error"]["code"] == "secret_unavailable"


def test_the_lms_client_secret_comes_from_the_store_in_a_deployed_stage(deployed, monkeypatch):
    # Given a deployed LMS sync worker's settings: the LMS, its client, a plain secret variable and
    # no reference yet
    monkeypatch.setenv("OPENEDX_LMS_URL", "https://lms.example.com")
    monkeypatch.setenv("OPENEDX_CLIENT_ID", "b2b-worker")
    monkeypatch.setenv("OPENEDX_CLIENT_SECRET", "plain-env-secret")
    get_settings.cache_clear()
    # Then the LMS is not configured: a plain variable does not count outside the local stack
    assert OpenEdxConfig.for_lms(get_settings()) is None
    # Given the secret in Secrets Manager and its ARN as the reference
    name = f"b2b-dev/openedx-client-secret-{uuid.uuid4().hex[:8]}"
    arn = _secretsmanager(deployed).create_secret(Name=name, SecretString="lms-from-the-store")["ARN"]
    monkeypatch.setenv("OPENEDX_CLIENT_SECRET_ID", arn)
    get_settings.cache_clear()
    # When the worker builds its LMS configuration
    config = OpenEdxConfig.for_lms(get_settings())
    # Then it holds the stored value, never the reference or the plain variable
    assert config is not None
    assert config.client_secret == "lms-from-the-store"
