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
from typing import Any
from urllib.parse import parse_qsl

from b2b_local.fake_http import JsonHandler, serving

API_KEY = "sk_test_fake"
WEBHOOK_SECRET = "whsec_test_secret"


@dataclass
class FakeStripe:
    url: str = ""
    sessions: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(fake: FakeStripe) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def do_POST(self) -> None:
            form = dict(parse_qsl(self.read_body()))
            if (
                self.path != "/v1/checkout/sessions"
                or self.headers.get("Authorization") != f"Bearer {API_KEY}"
            ):
                self.reply(404 if self.path != "/v1/checkout/sessions" else 401, {"error": {"message": "no"}})
                return
            session_id = f"cs_test_{uuid.uuid4().hex[:16]}"
            with fake.lock:
                fake.sessions.append(form)
            self.reply(
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

    return Handler


@contextmanager
def fake_stripe(lifetime: float = 600) -> Iterator[FakeStripe]:
    fake = FakeStripe()
    with serving(_handler(fake), "fake-stripe", lifetime) as url:
        fake.url = url
        yield fake


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
