"""Open edX client: clone a course run in Studio and enroll learners in the LMS, with an OAuth2
client-credentials token.

Transient failures (timeouts, connection errors, 5xx, 429) are retried with exponential backoff
and then reported as :class:`StudioUnavailable`; a 4xx Studio answer is permanent and reported
as :class:`StudioRejected`, except "the destination already exists", which means an earlier
attempt got through and counts as success.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from b2b import secrets
from b2b.outbound import CallPolicy, OutboundClient, Unreachable
from b2b.settings import Settings

CLONE_PATH = "/api/v1/course_runs/clone/"
ENROLLMENT_PATH = "/api/enrollment/v1/enrollment"
ACCOUNTS_PATH = "/api/user/v1/accounts"
TOKEN_PATH = "/oauth2/access_token"
# Renew a token this long before Open edX says it expires.
TOKEN_EXPIRY_MARGIN_SECONDS = 30.0
CloneOutcome = Literal["cloned", "already_exists"]


class StudioRejected(Exception):
    """Studio refused the request for good (a 4xx that retrying cannot fix)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LmsRejected(Exception):
    """The LMS refused an enrollment or account lookup for good (a 4xx, or no account)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StudioUnavailable(Exception):
    """Studio or the LMS could not be reached or failed after every retry; try again later."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class OpenEdxConfig:
    studio_url: str
    lms_url: str
    client_id: str
    client_secret: str
    timeout_seconds: float = 10.0
    attempts: int = 3
    backoff_seconds: float = 0.5

    @classmethod
    def for_lms(cls, settings: Settings) -> OpenEdxConfig | None:
        """The LMS part of ``settings`` (no Studio needed), or None when the LMS is not configured. The
        client secret comes from the secret store (raises :class:`b2b.secrets.SecretUnavailable`)."""
        if not settings.lms_configured:
            return None
        assert settings.openedx_lms_url
        return cls(
            studio_url=(settings.openedx_studio_url or settings.openedx_lms_url).rstrip("/"),
            lms_url=settings.openedx_lms_url.rstrip("/"),
            client_id=settings.openedx_client_id or "",
            client_secret=secrets.openedx_client_secret(settings) or "",
            timeout_seconds=settings.openedx_timeout_seconds,
            attempts=settings.openedx_attempts,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenEdxConfig | None:
        """The configuration in ``settings``, or None when Open edX is not configured. The client
        secret comes from the secret store (raises :class:`b2b.secrets.SecretUnavailable`)."""
        if not settings.openedx_configured:
            return None
        assert settings.openedx_studio_url and settings.openedx_lms_url  # noqa: PT018 - narrowed above
        return cls(
            studio_url=settings.openedx_studio_url.rstrip("/"),
            lms_url=settings.openedx_lms_url.rstrip("/"),
            client_id=settings.openedx_client_id or "",
            client_secret=secrets.openedx_client_secret(settings) or "",
            timeout_seconds=settings.openedx_timeout_seconds,
            attempts=settings.openedx_attempts,
        )


def _already_exists(response: httpx.Response) -> bool:
    return response.status_code in {400, 409} and "already exists" in response.text.lower()


class OpenEdxClient:
    """Talks to one Open edX instance; reuse one per process (it keeps the connection and token)."""

    def __init__(
        self,
        config: OpenEdxConfig,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._config = config
        policy = CallPolicy(config.timeout_seconds, config.attempts, config.backoff_seconds, jitter=True)
        self._outbound = OutboundClient("Open edX", policy, http, sleep, TOKEN_EXPIRY_MARGIN_SECONDS)

    def close(self) -> None:
        self._outbound.close()

    def access_token(self) -> str:
        """A JWT from the LMS token endpoint, cached until shortly before it expires."""
        return self._outbound.cached_token(self._new_token)

    def _new_token(self) -> tuple[str, float]:
        response = self._send(
            "POST",
            f"{self._config.lms_url}{TOKEN_PATH}",
            data={
                "grant_type": "client_credentials",
                "client_id": self._config.client_id,
                "client_secret": self._config.client_secret,
                "token_type": "jwt",
            },
        )
        if response.status_code != 200:
            # Wrong credentials are an operator's fix, not the run's fault: retry later.
            raise StudioUnavailable(f"token request refused ({response.status_code})")
        try:
            body = response.json()
            return str(body["access_token"]), float(body.get("expires_in", 300))
        except (ValueError, KeyError, TypeError) as exc:
            raise StudioUnavailable("token response is not understood") from exc

    def clone_course_run(self, source_run_id: str, destination_run_id: str) -> CloneOutcome:
        """Ask Studio to copy ``source_run_id`` into a new run ``destination_run_id``."""
        payload = {"source_course_id": source_run_id, "destination_course_id": destination_run_id}
        response = self._authorized("POST", f"{self._config.studio_url}{CLONE_PATH}", json=payload)
        if response.is_success:
            return "cloned"
        if _already_exists(response):
            return "already_exists"
        raise StudioRejected(f"Studio answered {response.status_code}: {response.text[:500]}")

    def username_for_email(self, email: str) -> str:
        """The LMS username of the account with ``email`` (the user accounts API)."""
        response = self._authorized("GET", f"{self._config.lms_url}{ACCOUNTS_PATH}", params={"email": email})
        if response.status_code == 404:
            raise LmsRejected("the LMS has no account with the learner's email")
        if not response.is_success:
            raise LmsRejected(f"account lookup answered {response.status_code}: {response.text[:300]}")
        try:
            body = response.json()
            accounts = body if isinstance(body, list) else [body]
            username = str(accounts[0]["username"]) if accounts else ""
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise LmsRejected("account lookup answer is not understood") from exc
        if not username:
            raise LmsRejected("the LMS has no account with the learner's email")
        return username

    def set_enrollment(self, username: str, run_id: str, mode: str, active: bool) -> None:
        """Enroll ``username`` in ``run_id`` (``active``) or end that enrollment; the LMS call is
        idempotent (the same body twice leaves the same enrollment)."""
        payload = {
            "user": username,
            "mode": mode,
            "is_active": active,
            "course_details": {"course_id": run_id},
        }
        response = self._authorized("POST", f"{self._config.lms_url}{ENROLLMENT_PATH}", json=payload)
        if not response.is_success:
            raise LmsRejected(f"enrollment API answered {response.status_code}: {response.text[:300]}")

    def _authorized(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._outbound.send_authorized(
                method, url, lambda: {"Authorization": f"JWT {self.access_token()}"}, **kwargs
            )
        except Unreachable as exc:
            raise StudioUnavailable(str(exc)) from exc

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._outbound.send(method, url, **kwargs)
        except Unreachable as exc:
            raise StudioUnavailable(str(exc)) from exc
