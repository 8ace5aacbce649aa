"""Keycloak admin REST API client: which organizations a user belongs to (Keycloak 26+).

A confidential client's service account gets a token with the client-credentials grant
(``POST /realms/{realm}/protocol/openid-connect/token``), cached until shortly before it expires;
the memberships come from ``GET /admin/realms/{realm}/organizations/members/{userId}/organizations``.

Every call is bounded: a per-request timeout, a small number of attempts, and an optional
deadline (``time.monotonic()``) past which no new attempt starts, so a slow or absent Keycloak
costs a caller at most its budget. Failures are :class:`KeycloakUnavailable` (try again later);
an unknown user is ``None``, not an error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from b2b import secrets
from b2b.outbound import CallPolicy, OutboundClient, Unreachable
from b2b.settings import Settings

# Renew a token this long before Keycloak says it expires.
TOKEN_EXPIRY_MARGIN_SECONDS = 30.0


class KeycloakUnavailable(Exception):
    """Keycloak could not answer (timeout, connection refused, 5xx, refused credentials)."""


class CredentialsRefused(KeycloakUnavailable):
    """The token endpoint refused the client's credentials (e.g. the secret was rotated)."""


@dataclass(frozen=True)
class KeycloakOrganization:
    """An organization as the admin API lists it (brief representation)."""

    id: str
    alias: str
    name: str
    enabled: bool = True


@dataclass(frozen=True)
class KeycloakConfig:
    base_url: str
    realm: str
    client_id: str
    client_secret: str
    timeout_seconds: float = 1.0
    attempts: int = 2
    backoff_seconds: float = 0.1

    @classmethod
    def from_settings(cls, settings: Settings) -> KeycloakConfig | None:
        """The configuration in ``settings`` (client secret from the secret store), or None when
        Keycloak lookups are not configured."""
        if not settings.keycloak_configured:
            return None
        assert settings.keycloak_url and settings.keycloak_client_id  # noqa: PT018 - narrowed above
        return cls(
            base_url=settings.keycloak_url.rstrip("/"),
            realm=settings.keycloak_realm,
            client_id=settings.keycloak_client_id,
            client_secret=secrets.keycloak_client_secret(settings) or "",
            timeout_seconds=settings.keycloak_timeout_seconds,
            attempts=settings.keycloak_attempts,
        )


def _organization(item: dict[str, Any]) -> KeycloakOrganization | None:
    identifier, alias = item.get("id"), item.get("alias")
    if not isinstance(identifier, str) or not identifier:
        return None
    return KeycloakOrganization(
        id=identifier,
        alias=alias if isinstance(alias, str) and alias else str(item.get("name") or identifier),
        name=str(item.get("name") or ""),
        enabled=item.get("enabled") is not False,
    )


class KeycloakClient:
    """Talks to one Keycloak realm; reuse one per process (it keeps the connection and the token)."""

    def __init__(
        self,
        config: KeycloakConfig,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._config = config
        policy = CallPolicy(config.timeout_seconds, config.attempts, config.backoff_seconds)
        self._outbound = OutboundClient("Keycloak", policy, http, sleep, TOKEN_EXPIRY_MARGIN_SECONDS)

    def close(self) -> None:
        self._outbound.close()

    @property
    def _realm_path(self) -> str:
        return quote(self._config.realm, safe="")

    def access_token(self, deadline: float | None = None) -> str:
        """The service account's access token, cached until shortly before it expires."""
        return self._outbound.cached_token(lambda: self._new_token(deadline))

    def _new_token(self, deadline: float | None) -> tuple[str, float]:
        response = self._send(
            "POST",
            f"{self._config.base_url}/realms/{self._realm_path}/protocol/openid-connect/token",
            deadline,
            data={
                "grant_type": "client_credentials",
                "client_id": self._config.client_id,
                "client_secret": self._config.client_secret,
            },
        )
        if response.status_code in {400, 401}:
            raise CredentialsRefused(f"token request refused ({response.status_code})")
        if response.status_code != 200:
            raise KeycloakUnavailable(f"token request refused ({response.status_code})")
        try:
            body = response.json()
            return str(body["access_token"]), float(body.get("expires_in", 60))
        except (ValueError, KeyError, TypeError) as exc:
            raise KeycloakUnavailable("token response is not understood") from exc

    def organizations_of(
        self, user_id: str, deadline: float | None = None
    ) -> list[KeycloakOrganization] | None:
        """The organizations ``user_id`` is a member of; None when Keycloak knows no such user."""
        url = (
            f"{self._config.base_url}/admin/realms/{self._realm_path}"
            f"/organizations/members/{quote(user_id, safe='')}/organizations"
        )
        try:
            response = self._outbound.send_authorized(
                "GET",
                url,
                lambda: {"Authorization": f"Bearer {self.access_token(deadline)}"},
                deadline=deadline,
                params={"briefRepresentation": "true"},
            )
        except Unreachable as exc:
            raise KeycloakUnavailable(str(exc)) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            # 403: the service account lacks a role; an operator's fix, so retry later.
            raise KeycloakUnavailable(f"organizations lookup answered {response.status_code}")
        try:
            items = response.json()
        except ValueError as exc:
            raise KeycloakUnavailable("organizations response is not JSON") from exc
        if not isinstance(items, list):
            raise KeycloakUnavailable("organizations response is not a list")
        found = [_organization(item) for item in items if isinstance(item, dict)]
        return [o for o in found if o is not None]

    def _send(self, method: str, url: str, deadline: float | None, **kwargs: Any) -> httpx.Response:
        try:
            return self._outbound.send(method, url, deadline=deadline, **kwargs)
        except Unreachable as exc:
            raise KeycloakUnavailable(str(exc)) from exc
