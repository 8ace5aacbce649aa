"""A fake Keycloak on 127.0.0.1 (real HTTP): the endpoints the SSO webhook uses, as Keycloak 26
documents them, for the tests and the local stack.

- ``POST /realms/{realm}/protocol/openid-connect/token`` (``grant_type=client_credentials``, client id
  and secret in the form or as HTTP Basic) → a bearer token that expires after ``token_lifetime``;
- ``GET /admin/realms/{realm}/organizations/members/{userId}/organizations`` → the user's
  organizations (brief representation), 404 for an unknown user, 401 without a valid token;
- ``POST /admin/realms/{realm}/organizations`` (``{"name", "alias"}``) and
  ``POST /admin/realms/{realm}/users`` (``{"username"}``; the fake also takes an ``id``) create what they
  create, answering 201 with the new id in ``Location``;
- ``POST /admin/realms/{realm}/organizations/{orgId}/members`` (body: the user id) and
  ``DELETE /admin/realms/{realm}/organizations/{orgId}/members/{userId}`` change memberships, so
  ``make run`` can be tried with curl.

Organizations and users are set with :meth:`FakeKeycloak.add_organization` and
:meth:`FakeKeycloak.add_member`. ``delay_seconds`` slows every admin answer down and ``down`` makes
them all 503, to try the webhook against a Keycloak that is slow or failing. The server runs on
daemon threads, so it stops with the process at the latest.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from b2b_local.fake_http import JsonHandler, start_server

REALM = "learners"
CLIENT_ID = "b2b-memberships"
CLIENT_SECRET = "local-keycloak-client-secret"

_TOKEN = re.compile(r"^/realms/(?P<realm>[^/]+)/protocol/openid-connect/token$")
_MEMBER_ORGS = re.compile(
    r"^/admin/realms/(?P<realm>[^/]+)/organizations/members/(?P<user>[^/]+)/organizations$"
)
_COLLECTION = re.compile(r"^/admin/realms/(?P<realm>[^/]+)/(?P<what>organizations|users)$")
_MEMBERS = re.compile(
    r"^/admin/realms/(?P<realm>[^/]+)/organizations/(?P<org>[^/]+)/members(?:/(?P<user>[^/]+))?$"
)


@dataclass
class FakeKeycloak:
    url: str = ""
    realm: str = REALM
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    token_lifetime: int = 300
    delay_seconds: float = 0.0
    down: bool = False
    organizations: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → representation
    users: set[str] = field(default_factory=set)
    members: dict[str, set[str]] = field(default_factory=dict)  # org id → user ids
    tokens: dict[str, float] = field(default_factory=dict)  # token → expiry (epoch)
    token_calls: int = 0
    lookup_calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_organization(self, alias: str, org_id: str | None = None, *, enabled: bool = True) -> str:
        """Create an organization; returns its id."""
        org_id = org_id or str(uuid.uuid4())
        with self.lock:
            self.organizations[org_id] = {
                "id": org_id,
                "name": alias.title(),
                "alias": alias,
                "enabled": enabled,
            }
            self.members.setdefault(org_id, set())
        return org_id

    def add_user(self, user_id: str) -> None:
        with self.lock:
            self.users.add(user_id)

    def add_member(self, org_id: str, user_id: str) -> None:
        with self.lock:
            self.users.add(user_id)
            self.members[org_id].add(user_id)

    def remove_member(self, org_id: str, user_id: str) -> None:
        with self.lock:
            self.members[org_id].discard(user_id)

    def organizations_of(self, user_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                dict(self.organizations[o]) for o, users in sorted(self.members.items()) if user_id in users
            ]


def _handler(fake: FakeKeycloak) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def _authorized(self) -> bool:
            header = self.headers.get("Authorization", "")
            token = header.removeprefix("Bearer ").strip()
            with fake.lock:
                expiry = fake.tokens.get(token)
            return expiry is not None and expiry > time.time()

        def _admin_gate(self) -> bool:
            """Slow or failing like the scenario asks; False when the answer was already sent."""
            if fake.delay_seconds:
                time.sleep(fake.delay_seconds)
            if fake.down:
                self.reply(503, {"error": "unavailable"})
                return False
            if not self._authorized():
                self.reply(401, {"error": "HTTP 401 Unauthorized"})
                return False
            return True

        def _token(self, realm: str) -> None:
            form = {k: v[0] for k, v in parse_qs(self.read_body()).items()}
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):
                client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
            with fake.lock:
                fake.token_calls += 1
            if fake.down:
                self.reply(503, {"error": "unavailable"})
                return
            if realm != fake.realm or form.get("grant_type") != "client_credentials":
                self.reply(400, {"error": "unsupported_grant_type"})
                return
            if (client_id, client_secret) != (fake.client_id, fake.client_secret):
                self.reply(
                    401, {"error": "unauthorized_client", "error_description": "Invalid client credentials"}
                )
                return
            token = secrets.token_urlsafe(24)
            with fake.lock:
                fake.tokens[token] = time.time() + fake.token_lifetime
            self.reply(
                200,
                {
                    "access_token": token,
                    "expires_in": fake.token_lifetime,
                    "token_type": "Bearer",
                    "scope": "profile",
                },
            )

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            if match := _TOKEN.match(path):
                self._token(match["realm"])
                return
            if (created := _COLLECTION.match(path)) and created["realm"] == fake.realm:
                self._create(created["what"], path)
                return
            match = _MEMBERS.match(path)
            if not match or match["user"] or match["realm"] != fake.realm:
                self.reply(404, {"error": "Not Found"})
                return
            if not self._admin_gate():
                return
            user = self.read_body().strip().strip('"')
            if match["org"] not in fake.members:
                self.reply(404, {"errorMessage": "Organization not found."})
            elif user not in fake.users:
                self.reply(400, {"errorMessage": "User does not exist"})
            elif user in fake.members[match["org"]]:
                self.reply(409, {"errorMessage": "User is already a member of the organization."})
            else:
                fake.add_member(match["org"], user)
                self.reply(201)

        def _create(self, what: str, path: str) -> None:
            if not self._admin_gate():
                return
            try:
                body = json.loads(self.read_body() or "{}")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                self.reply(400, {"errorMessage": "invalid representation"})
                return
            if what == "organizations":
                alias = str(body.get("alias") or body.get("name") or "")
                if not alias or any(o["alias"] == alias for o in fake.organizations.values()):
                    self.reply(409 if alias else 400, {"errorMessage": "alias missing or already used"})
                    return
                new_id = fake.add_organization(alias)
            else:
                new_id = str(body.get("id") or uuid.uuid4())
                fake.add_user(new_id)
            self.reply(201, location=f"{fake.url}{path}/{new_id}")

        def do_DELETE(self) -> None:
            match = _MEMBERS.match(urlsplit(self.path).path)
            if not match or not match["user"] or match["realm"] != fake.realm:
                self.reply(404, {"error": "Not Found"})
                return
            if not self._admin_gate():
                return
            user = unquote(match["user"])
            if user not in fake.members.get(match["org"], set()):
                self.reply(404, {"error": "Not Found"})
                return
            fake.remove_member(match["org"], user)
            self.reply(204)

        def do_GET(self) -> None:
            match = _MEMBER_ORGS.match(urlsplit(self.path).path)
            if not match or match["realm"] != fake.realm:
                self.reply(404, {"error": "Not Found"})
                return
            with fake.lock:
                fake.lookup_calls += 1
            if not self._admin_gate():
                return
            user = unquote(match["user"])
            if user not in fake.users:
                self.reply(404, {"error": "Not Found"})
                return
            self.reply(200, fake.organizations_of(user))

    return Handler


def start_fake_keycloak(host: str = "127.0.0.1", port: int = 0) -> tuple[FakeKeycloak, ThreadingHTTPServer]:
    """Serve a fake Keycloak on ``host`` (a free port by default); stop it with ``server.shutdown()``."""
    fake = FakeKeycloak()
    server, fake.url = start_server(_handler(fake), "fake-keycloak", host, port)
    return fake, server


@contextmanager
def fake_keycloak() -> Iterator[FakeKeycloak]:
    """A fake Keycloak for the duration of the block."""
    fake, server = start_fake_keycloak()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
