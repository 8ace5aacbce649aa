"""Secrets from the deployment's secret store, read through Powertools Parameters and cached.

A secret is named by a reference: a Secrets Manager secret name or ARN, or ``ssm:/parameter/name``
for an SSM Parameter Store SecureString (decrypted on read). Values are cached for
``SECRETS_MAX_AGE_SECONDS`` (Powertools' cache), so a warm function reads the store about once every
few minutes and a rotated secret is picked up without a redeploy.

On the local stack (``make run``, the tests) a reference is optional: the plain environment value
stands in when none is set. Deployed stages never read secrets from plain environment variables.
"""

from __future__ import annotations

from b2b.observability import logger
from b2b.settings import Settings, get_settings

SSM_PREFIX = "ssm:"


class SecretUnavailable(Exception):
    """The secret store could not give the secret (missing, not allowed, unreachable)."""


def read_secret(reference: str, max_age_seconds: int) -> str:
    """The current value of the secret ``reference`` names (cached ``max_age_seconds``)."""
    # Imported here: functions that read no secret do not pay for boto3 at cold start.
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415

    try:
        if reference.startswith(SSM_PREFIX):
            value = parameters.get_parameter(
                reference.removeprefix(SSM_PREFIX), decrypt=True, max_age=max_age_seconds
            )
        else:
            value = parameters.get_secret(reference, max_age=max_age_seconds)
    except Exception as exc:
        # The reference names a resource, not the value: safe to log.
        logger.warning("secret not readable", extra={"secret": reference, "problem": type(exc).__name__})
        raise SecretUnavailable(f"secret {reference!r} is not readable ({type(exc).__name__})") from exc
    if isinstance(value, bytes):
        value = value.decode()
    if not isinstance(value, str) or not value:
        raise SecretUnavailable(f"secret {reference!r} is empty")
    return value


def _secret(reference: str | None, local_value: str | None, settings: Settings) -> str | None:
    if reference:
        return read_secret(reference, settings.secrets_max_age_seconds)
    return local_value if settings.is_local else None


def keycloak_webhook_secret(settings: Settings | None = None) -> str | None:
    """The HMAC secret that signs Keycloak webhook calls (None: not configured)."""
    settings = settings or get_settings()
    return _secret(settings.keycloak_webhook_secret_id, settings.keycloak_webhook_secret, settings)


def keycloak_client_secret(settings: Settings | None = None) -> str | None:
    """The client secret of the confidential Keycloak client that reads organization memberships."""
    settings = settings or get_settings()
    return _secret(settings.keycloak_client_secret_id, settings.keycloak_client_secret_value, settings)


def openedx_client_secret(settings: Settings | None = None) -> str | None:
    """The OAuth2 client secret of the Open edX service worker."""
    settings = settings or get_settings()
    return _secret(settings.openedx_client_secret_id, settings.openedx_client_secret, settings)
