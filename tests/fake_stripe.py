"""A fake Stripe API on 127.0.0.1 (Checkout Sessions only), and real webhook signatures.

The official library is pointed at it through ``STRIPE_API_BASE``; it answers
``POST /v1/checkout/sessions`` as Stripe does (form-encoded parameters in, a session object out) and
records what it was sent. It stops when its context ends, or by itself after ``lifetime`` seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

API_KEY = "sk_test_fake"
WEBHOOK_SECRET = "whsec_test_secret"


@dataclass
class FakeStripe:
    url: str = ""
    sessions: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            if (
                self.path != "/v1/checkout/sessions"
                or self.headers.get("Authorization") != f"Bearer {API_KEY}"
            ):
                self._send(404 if self.path != "/v1/checkout/sessions" else 401, {"error": {"message": "no"}})
                return
            session_id = f"cs_test_{uuid.uuid4().hex[:16]}"
            with fake.lock:
                fake.sessions.append(form)
            self._send(
                200,
                {
                    "id": session_id,
                    "object": "checkout.session",
                    "url": f"https://checkout.stripe.test/c/pay/{session_id}",
                    "expires_at": int(form["expires_at"]),
                    "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
                    "currency": form["line_items[0][price_data][currency]"],
                    "metadata": {"order_id": form["metadata[order_id]"]},
                    "status": "open",
                },
            )

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def fake_stripe(lifetime: float = 600) -> Iterator[FakeStripe]:
    fake = FakeStripe()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="fake-stripe")
    thread.start()
    stopper = threading.Timer(lifetime, server.shutdown)
    stopper.daemon = True
    stopper.start()
    try:
        yield fake
    finally:
        stopper.cancel()
        server.shutdown()
        server.server_close()


def signature_header(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """``Stripe-Signature`` as Stripe computes it: HMAC-SHA256 of ``"<t>.<body>"`` with the secret."""
    timestamp = int(time.time()) if at is None else at
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def session_event(event_type: str, session: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex[:16]}",
            "object": "event",
            "type": event_type,
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "data": {"object": {"object": "checkout.session", **session}},
        }
    ).encode()
