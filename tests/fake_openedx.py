"""A fake Open edX (LMS token endpoint + Studio clone endpoint) on 127.0.0.1, real HTTP.

Each clone call takes the next scripted answer from ``script`` ("401", "500", "timeout", "400");
with the script empty it behaves like Studio: creates the destination, or answers 400 "already
exists" when it was created before. A "timeout" answer sleeps past the client's timeout and then
creates the destination anyway, as a slow Studio would.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from b2b_local.fake_http import JsonHandler, serving

CLIENT_ID = "b2b-cloner"
CLIENT_SECRET = "cloner-secret"


@dataclass
class FakeOpenEdx:
    url: str = ""
    script: list[str] = field(default_factory=list)
    slow_seconds: float = 1.0
    # Every clone call waits this long first (to make deliveries overlap).
    delay_seconds: float = 0.0
    token_calls: int = 0
    clone_calls: list[dict[str, str]] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> str:
        with self.lock:
            return self.script.pop(0) if self.script else "studio"


def _handler(fake: FakeOpenEdx) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def do_POST(self) -> None:
            raw = self.read_body()
            if self.path == "/oauth2/access_token":
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                ok = form == {
                    "grant_type": "client_credentials",
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "token_type": "jwt",
                }
                with fake.lock:
                    fake.token_calls += 1
                if not ok:
                    self.reply(401, {"error": "invalid_client"})
                    return
                self.reply(200, {"access_token": "jwt-token", "expires_in": 3600, "token_type": "JWT"})
                return
            if self.path != "/api/v1/course_runs/clone/":
                self.reply(404, {"detail": "not found"})
                return
            if self.headers.get("Authorization") != "JWT jwt-token":
                self.reply(401, {"detail": "authentication required"})
                return
            body = json.loads(raw)
            with fake.lock:
                fake.clone_calls.append(body)
            time.sleep(fake.delay_seconds)
            answer = fake.next_answer()
            destination = body["destination_course_id"]
            if answer == "401":
                self.reply(401, {"detail": "token expired"})
            elif answer == "500":
                self.reply(500, {"detail": "server error"})
            elif answer == "400":
                self.reply(400, {"source_course_id": ["Course does not exist."]})
            elif answer == "timeout":
                time.sleep(fake.slow_seconds)
                fake.created.add(destination)
                self.reply(201, body)
            elif destination in fake.created:
                self.reply(400, {"destination_course_id": [f"Course run {destination} already exists"]})
            else:
                fake.created.add(destination)
                self.reply(201, body)

    return Handler


@contextmanager
def fake_openedx() -> Iterator[FakeOpenEdx]:
    """Serve a fake Open edX on a free port of 127.0.0.1 until the block ends."""
    fake = FakeOpenEdx()
    with serving(_handler(fake), "fake-openedx") as url:
        fake.url = url
        yield fake
