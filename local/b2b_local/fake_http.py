"""What the fake services (Keycloak, the Open edX LMS and Studio, Stripe) share: a JSON request
handler and a threaded server on 127.0.0.1 that stops with the block (or after a lifetime)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet handler that reads bodies and answers JSON."""

    def log_message(self, *_: object) -> None:
        pass

    def read_body(self) -> str:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()

    def reply(self, status: int, body: object | None = None, location: str | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        try:
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting


def start_server(
    handler: type[BaseHTTPRequestHandler], name: str, host: str = "127.0.0.1", port: int = 0
) -> tuple[ThreadingHTTPServer, str]:
    """Serve ``handler`` on ``host`` (a free port by default) in a daemon thread: (server, base URL).
    Stop it with ``server.shutdown()``."""
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name=name).start()
    return server, f"http://{host}:{server.server_port}"


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], name: str, lifetime: float | None = None) -> Iterator[str]:
    """Serve ``handler`` on a free port of 127.0.0.1 for the block (at most ``lifetime`` seconds);
    yields the base URL."""
    server, url = start_server(handler, name)
    stopper = threading.Timer(lifetime, server.shutdown) if lifetime else None
    if stopper:
        stopper.daemon = True
        stopper.start()
    try:
        yield url
    finally:
        if stopper:
            stopper.cancel()
        server.shutdown()
        server.server_close()
