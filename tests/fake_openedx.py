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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

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


def _handler(fake: FakeOpenEdx) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def _reply(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
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
                    self._reply(401, {"error": "invalid_client"})
                    return
                self._reply(200, {"access_token": "jwt-token", "expires_in": 3600, "token_type": "JWT"})
                return
            if self.path != "/api/v1/course_runs/clone/":
                self._reply(404, {"detail": "not found"})
                return
            if self.headers.get("Authorization") != "JWT jwt-token":
                self._reply(401, {"detail": "authentication required"})
                return
            body = json.loads(raw)
            with fake.lock:
                fake.clone_calls.append(body)
            time.sleep(fake.delay_seconds)
            answer = fake.next_answer()
            destination = body["destination_course_id"]
            if answer == "401":
                self._reply(401, {"detail": "token expired"})
            elif answer == "500":
                self._reply(500, {"detail": "server error"})
            elif answer == "400":
                self._reply(400, {"source_course_id": ["Course does not exist."]})
            elif answer == "timeout":
                time.sleep(fake.slow_seconds)
                fake.created.add(destination)
                self._reply(201, body)
            elif destination in fake.created:
                self._reply(400, {"destination_course_id": [f"Course run {destination} already exists"]})
            else:
                fake.created.add(destination)
                self._reply(201, body)

    return Handler


@contextmanager
def fake_openedx() -> Iterator[FakeOpenEdx]:
    """Serve a fake Open edX on a free port of 127.0.0.1 until the block ends."""
    fake = FakeOpenEdx()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="fake-openedx")
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
