"""A small client for the admin API: JSON in and out, errors as exceptions, pages via ``next_cursor``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

USER_AGENT = "b2b-cli/0.1"
PAGE_SIZE = 500
DEFAULT_LOCAL_PORT = 3000


class ApiError(Exception):
    """The API answered with an error (the body ``{"error": {"code", "message", "details"}}``)."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            details = [d for d in error.get("details") or [] if isinstance(d, dict)]
            return cls(
                response.status_code,
                str(error.get("code") or "error"),
                str(error.get("message") or response.reason_phrase),
                details,
            )
        # API Gateway's own answers (e.g. the JWT authorizer) are {"message": "..."}.
        message = body.get("message") if isinstance(body, dict) else None
        text = message or response.text.strip() or response.reason_phrase
        return cls(response.status_code, "http_error", str(text)[:300], [])

    def line(self) -> str:
        """One line for the operator, naming every field the API complained about."""
        fields = "; ".join(
            f"{d.get('field', '?')}: {d.get('message', 'is invalid')}" for d in self.details if d.get("field")
        )
        reason = fields or self.message
        hint = ""
        if self.status == 401:
            hint = " (set B2B_TOKEN or a profile token; on the local stack leave it unset)"
        elif self.status == 403:
            hint = " (the token needs the admin group)"
        elif self.status == 404 and self.code == "http_error":
            hint = " (this API has no such route: is it up to date?)"
        return f"{self.status} {self.code}: {reason}{hint}"


class ApiUnreachable(Exception):
    """No HTTP answer at all (connection refused, DNS failure, timeout)."""

    def __init__(self, api_url: str, reason: str, local: bool) -> None:
        self.api_url = api_url
        self.reason = reason
        self.local = local
        super().__init__(self.line())

    def line(self) -> str:
        if self.local:
            port = urlsplit(self.api_url).port
            if port == DEFAULT_LOCAL_PORT:
                start = "start it with `make run`"
            else:
                start = f'start it with `make run ARGS="--port {port}"`, or unset B2B_API_URL for port 3000'
            return f"cannot reach the local stack at {self.api_url} ({self.reason}): {start}"
        return f"cannot reach {self.api_url} ({self.reason}): check B2B_API_URL or the profile's api_url"


def segment(value: str | int) -> str:
    """A path segment: courseware and user ids carry ``:``, ``+`` and ``/``, so encode everything."""
    return quote(str(value), safe="")


class ApiClient:
    """Admin API calls over one HTTP connection pool."""

    def __init__(
        self,
        api_url: str,
        token: str | None,
        *,
        local: bool = False,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.api_url = api_url
        self.local = local
        self._http = httpx.Client(base_url=api_url, headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        """The decoded JSON answer (None when there is no body); raises ApiError or ApiUnreachable."""
        try:
            response = self._http.request(method, path, json=json, params=params)
        except httpx.ConnectError as exc:
            raise ApiUnreachable(self.api_url, _reason(exc), self.local) from None
        except httpx.TimeoutException:
            raise ApiUnreachable(self.api_url, "timed out", self.local) from None
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(
                response.status_code, "not_json", "the API answered with something other than JSON", []
            ) from None

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def get_csv_page(self, path: str, params: dict[str, Any] | None = None) -> tuple[str, str | None]:
        """One page of a CSV endpoint: its text and the cursor of the next page (``X-Next-Cursor``)."""
        try:
            response = self._http.request("GET", path, params=params)
        except httpx.ConnectError as exc:
            raise ApiUnreachable(self.api_url, _reason(exc), self.local) from None
        except httpx.TimeoutException:
            raise ApiUnreachable(self.api_url, "timed out", self.local) from None
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        return response.text, response.headers.get("X-Next-Cursor") or None

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, json=body)

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, json=body)

    def put(self, path: str, body: Any = None) -> Any:
        return self.request("PUT", path, json=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def page_bodies(
        self, path: str, params: dict[str, Any] | None = None, item_keys: tuple[str, ...] = ("items",)
    ) -> Iterator[dict[str, Any]]:
        """Every page body of a list endpoint, following ``next_cursor`` until the API gives none.

        ``item_keys`` names the lists a page carries (``items`` for most endpoints)."""
        query = {"limit": PAGE_SIZE, **(params or {})}
        seen: set[str] = set()
        while True:
            page = self.get(path, query)
            if isinstance(page, list):  # an unpaged list endpoint: everything at once
                yield {"items": page, "next_cursor": None}
                return
            if not isinstance(page, dict) or not any(isinstance(page.get(key), list) for key in item_keys):
                raise ApiError(200, "unexpected_answer", f"GET {path} did not return a page of items", [])
            yield page
            cursor = page.get("next_cursor")
            if not cursor:
                return
            if cursor in seen:  # a server bug must not turn into an endless loop
                raise ApiError(200, "cursor_loop", f"GET {path} returned the same cursor twice", [])
            seen.add(cursor)
            query["cursor"] = cursor

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        """The items of every page."""
        for page in self.page_bodies(path, params):
            yield page["items"]

    def all_items(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return [item for page in self.pages(path, params) for item in page]


def _reason(exc: httpx.ConnectError) -> str:
    text = str(exc)
    if "refused" in text.lower():
        return "connection refused"
    return text or "connection failed"
