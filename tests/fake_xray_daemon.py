"""A fake X-Ray daemon: the UDP listener Lambda runs beside a function with active tracing.

It reads what a traced function sends the way the daemon does: each datagram is the daemon's JSON
header line, then a format prefix (``T1S``: OpenTelemetry spans of a sampled trace) and a base64
OTLP ``ExportTraceServiceRequest``. Datagrams it cannot read are kept apart, so a test sees them.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

HEADER = {"format": "json", "version": 1}


@dataclass
class ReceivedSpan:
    name: str
    trace_id: str  # 32 hex
    span_id: str  # 16 hex
    parent_span_id: str  # 16 hex, "" for a root
    kind: int
    attributes: dict[str, Any]
    resource: dict[str, Any]
    status_code: int


@dataclass
class FakeXRayDaemon:
    address: str = ""
    spans: list[ReceivedSpan] = field(default_factory=list)
    unreadable: list[bytes] = field(default_factory=list)

    def receive(self, datagram: bytes) -> None:
        header, _, body = datagram.partition(b"\n")
        try:
            if json.loads(header) != HEADER or not body.startswith(b"T1S"):
                raise ValueError("not a sampled OpenTelemetry span datagram")
            request = ExportTraceServiceRequest.FromString(base64.b64decode(body[3:], validate=True))
        except ValueError:
            self.unreadable.append(datagram)
            return
        for resource_spans in request.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        ReceivedSpan(
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            kind=span.kind,
                            attributes=_attributes(span.attributes),
                            resource=resource,
                            status_code=span.status.code,
                        )
                    )


def _attributes(values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        kind = item.value.WhichOneof("value")
        value = getattr(item.value, kind) if kind else None
        out[item.key] = list(value.values) if kind == "array_value" else value
    return out


@contextmanager
def fake_xray_daemon() -> Iterator[FakeXRayDaemon]:
    """Listen on a free UDP port of 127.0.0.1 until the block ends."""
    daemon = FakeXRayDaemon()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    host, port = sock.getsockname()
    daemon.address = f"{host}:{port}"
    stop = threading.Event()

    def serve() -> None:  # until stopped and nothing more is waiting in the socket
        while True:
            try:
                daemon.receive(sock.recv(65_535))
            except TimeoutError:
                if stop.is_set():
                    return

    thread = threading.Thread(target=serve, name="fake-xray-daemon", daemon=True)
    thread.start()
    try:
        yield daemon
    finally:
        stop.set()
        thread.join(timeout=5)
        sock.close()
