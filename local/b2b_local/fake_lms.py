"""A fake Open edX LMS on 127.0.0.1, real HTTP: the OAuth2 token endpoint, the user accounts API
(``GET /api/user/v1/accounts?email=``) and the enrollment API (``POST /api/enrollment/v1/enrollment``).

Every learner email has an account whose username is the email's local part (``ana@x.org`` → ``ana``),
unless the email is listed in ``unknown_emails``. Each enrollment call takes the next scripted answer
from ``script`` ("500", "timeout", "400", "slow"); with the script empty it sets the enrollment as
asked. A "timeout" answer sleeps past the client's timeout and does not apply the call; a "slow" one
sleeps as long and then applies it (a call that overtakes nothing until it lands).
The local stack serves it for ``make run``; tests script it for failures.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from b2b_local.fake_http import JsonHandler, serving

CLIENT_ID = "b2b-service-worker"
CLIENT_SECRET = "service-worker-secret"
TOKEN = "lms-jwt-token"


@dataclass
class LmsEnrollment:
    username: str
    course_id: str
    mode: str
    is_active: bool
    # time.time() when the LMS applied the call that set this state
    changed_at: float


@dataclass
class FakeLms:
    url: str = ""
    script: list[str] = field(default_factory=list)
    # Scripted answers for one course run only (taken before ``script``).
    run_scripts: dict[str, list[str]] = field(default_factory=dict)
    slow_seconds: float = 1.5
    unknown_emails: set[str] = field(default_factory=set)
    token_calls: int = 0
    account_calls: list[str] = field(default_factory=list)
    # Every enrollment call received (payloads), answered or not.
    enrollment_calls: list[dict[str, Any]] = field(default_factory=list)
    enrollments: dict[tuple[str, str], LmsEnrollment] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self, course_id: str = "") -> str:
        with self.lock:
            mine = self.run_scripts.get(course_id)
            if mine:
                return mine.pop(0)
            return self.script.pop(0) if self.script else "ok"

    def enrollment(self, username: str, course_id: str) -> LmsEnrollment | None:
        with self.lock:
            return self.enrollments.get((username, course_id))

    def calls_for(self, username: str, course_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                c
                for c in self.enrollment_calls
                if c.get("user") == username and (c.get("course_details") or {}).get("course_id") == course_id
            ]

    def environment(self) -> dict[str, str]:
        """The function settings that point the LMS sync at this fake."""
        return {
            "OPENEDX_LMS_URL": self.url,
            "OPENEDX_CLIENT_ID": CLIENT_ID,
            "OPENEDX_CLIENT_SECRET": CLIENT_SECRET,
        }


def username_of(email: str) -> str:
    return email.split("@", 1)[0]


def _handler(fake: FakeLms) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def _authorized(self) -> bool:
            if self.headers.get("Authorization") != f"JWT {TOKEN}":
                self.reply(401, {"detail": "Authentication credentials were not provided."})
                return False
            return True

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != "/api/user/v1/accounts":
                self.reply(404, {"detail": "not found"})
                return
            if not self._authorized():
                return
            email = parse_qs(parts.query).get("email", [""])[0]
            with fake.lock:
                fake.account_calls.append(email)
            if not email or email in fake.unknown_emails:
                self.reply(404, {"developer_message": "no account", "user_message": "Not found"})
                return
            self.reply(200, [{"username": username_of(email), "email": email, "is_active": True}])

        def do_POST(self) -> None:
            raw = self.read_body()
            if self.path == "/oauth2/access_token":
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                with fake.lock:
                    fake.token_calls += 1
                if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                    self.reply(401, {"error": "invalid_client"})
                    return
                self.reply(200, {"access_token": TOKEN, "expires_in": 3600, "token_type": "JWT"})
                return
            if self.path != "/api/enrollment/v1/enrollment":
                self.reply(404, {"detail": "not found"})
                return
            if not self._authorized():
                return
            body = json.loads(raw or "{}")
            with fake.lock:
                fake.enrollment_calls.append(body)
            course_id = str((body.get("course_details") or {}).get("course_id", ""))
            answer = fake.next_answer(course_id)
            if answer == "500":
                self.reply(500, {"message": "Internal Server Error"})
                return
            if answer == "slow":
                time.sleep(fake.slow_seconds)
            if answer == "timeout":
                time.sleep(fake.slow_seconds)
                self.reply(504, {"message": "too late"})
                return
            if answer == "400" or not course_id.startswith("course-v1:"):
                self.reply(400, {"message": f"No course '{course_id}' found for enrollment"})
                return
            state = LmsEnrollment(
                username=str(body["user"]),
                course_id=course_id,
                mode=str(body.get("mode", "audit")),
                is_active=bool(body.get("is_active", True)),
                changed_at=time.time(),
            )
            with fake.lock:
                fake.enrollments[(state.username, course_id)] = state
            self.reply(
                200,
                {
                    "user": state.username,
                    "mode": state.mode,
                    "is_active": state.is_active,
                    "course_details": {"course_id": course_id},
                },
            )

    return Handler


@contextmanager
def fake_lms() -> Iterator[FakeLms]:
    """Serve a fake LMS on a free port of 127.0.0.1 until the block ends."""
    fake = FakeLms()
    with serving(_handler(fake), "fake-lms") as url:
        fake.url = url
        yield fake
