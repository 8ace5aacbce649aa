"""Calls to the services around us (Keycloak, Open edX): bounded retries and a cached OAuth2 token.

Each call is bounded: a per-request timeout, a few attempts with exponential backoff (optionally
jittered), and an optional deadline (``time.monotonic()``) past which no new attempt starts.
Timeouts, connection errors, 5xx and 429 are retried; any other answer is returned to the caller,
which knows what it means. When every attempt failed, :class:`Unreachable` says how the last one did.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from b2b.observability import logger


class Unreachable(Exception):
    """The service did not answer usefully within the attempts (or the deadline) allowed."""


@dataclass(frozen=True)
class CallPolicy:
    timeout_seconds: float
    attempts: int
    backoff_seconds: float
    jitter: bool = False


def _retryable(status: int) -> bool:
    return status >= 500 or status == 429


class OutboundClient:
    """One service's HTTP connection, call policy and cached access token; reuse one per process."""

    def __init__(
        self,
        service: str,
        policy: CallPolicy,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        token_margin_seconds: float = 30.0,
    ) -> None:
        self._service = service
        self._policy = policy
        self._http = http or httpx.Client(timeout=httpx.Timeout(policy.timeout_seconds))
        self._sleep = sleep
        self._margin = token_margin_seconds
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_expires_at = 0.0

    def close(self) -> None:
        self._http.close()

    def cached_token(self, fetch: Callable[[], tuple[str, float]]) -> str:
        """The cached token, or a new one from ``fetch`` (token, lifetime in seconds), kept until
        shortly before it expires."""
        with self._lock:
            if self._token is not None and time.monotonic() < self._token_expires_at:
                return self._token
            token, lifetime = fetch()
            self._token = token
            self._token_expires_at = time.monotonic() + max(0.0, lifetime - self._margin)
            return token

    def forget_token(self) -> None:
        with self._lock:
            self._token = None

    def _pause(self, attempt: int) -> None:
        delay = self._policy.backoff_seconds * 2 ** (attempt - 1)
        if self._policy.jitter:
            delay *= 0.5 + random.random() / 2  # noqa: S311 - jitter, not security
        self._sleep(delay)

    def send(
        self,
        method: str,
        url: str,
        *,
        deadline: float | None = None,
        auth: Callable[[], dict[str, str]] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send with retries; ``auth`` gives the headers of each attempt (a token may be renewed)."""
        problem = "no attempt fitted the time budget"
        for attempt in range(self._policy.attempts):
            if attempt:
                self._pause(attempt)
            timeout = self._policy.timeout_seconds
            if deadline is not None:
                timeout = min(timeout, deadline - time.monotonic())
                if timeout <= 0.01:
                    break
            headers = auth() if auth else {}
            try:
                response = self._http.request(
                    method, url, headers=headers, timeout=httpx.Timeout(timeout), **kwargs
                )
            except httpx.TimeoutException:
                problem = f"timed out after {timeout:.2f} s"
            except httpx.TransportError as exc:
                problem = f"could not connect ({type(exc).__name__})"
            else:
                if not _retryable(response.status_code):
                    return response
                problem = f"answered {response.status_code}"
            logger.warning(
                f"{self._service} request failed",
                extra={"url": url, "attempt": attempt + 1, "problem": problem},
            )
        raise Unreachable(f"{url} {problem} ({self._policy.attempts} attempts at most)")

    def send_authorized(
        self,
        method: str,
        url: str,
        auth: Callable[[], dict[str, str]],
        *,
        deadline: float | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send with the token's headers; a 401 (a revoked or early-expired token) gets one fresh
        token and one more try."""
        response = self.send(method, url, deadline=deadline, auth=auth, **kwargs)
        if response.status_code == 401:
            self.forget_token()
            response = self.send(method, url, deadline=deadline, auth=auth, **kwargs)
        return response
