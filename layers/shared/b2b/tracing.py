"""Starting OpenTelemetry in a traced function, and sending its spans to X-Ray.

Loaded by :mod:`b2b.observability` only when the stage turns tracing on, before any client is made:

- a tracer provider with the function's resource (service, region, function name and version);
- the botocore instrumentation, so every DynamoDB, SQS, Secrets Manager call is a span;
- :class:`XRayDaemonExporter`, which hands each finished span to the X-Ray daemon Lambda runs beside
  a function with active tracing: one UDP datagram per span, the span encoded as OTLP (protobuf,
  base64) behind the daemon's header, the same wire format AWS's own OpenTelemetry layer uses in
  Lambda. Sending a datagram does not wait for anything, so spans go out as they end, with no
  background thread to flush before Lambda freezes the environment.

Each invocation's span (:func:`invocation_span`) continues Lambda's trace, read from
``_X_AMZN_TRACE_ID``, so the X-Ray service map shows function, DynamoDB and Open edX calls as one
trace. Why this instead of AWS's OpenTelemetry layer: docs/decisions.md, "Tracing".
"""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
from opentelemetry.propagators.aws import AwsXRayLambdaPropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

from b2b import snapstart

# Lambda sets AWS_XRAY_DAEMON_ADDRESS when active tracing is on; the default is the daemon's own.
DAEMON_ADDRESS_VARIABLE = "AWS_XRAY_DAEMON_ADDRESS"
DEFAULT_DAEMON_ADDRESS = "127.0.0.1:2000"
DAEMON_HEADER = b'{"format":"json","version":1}\n'
SAMPLED_SPANS = b"T1S"  # the daemon's prefix for OTLP spans of sampled traces
MAX_DATAGRAM = 65_000  # UDP's limit is 65,507 bytes of payload; a larger span is dropped, not cut


def daemon_address(value: str | None = None) -> tuple[str, int]:
    """``host:port`` of the X-Ray daemon (``AWS_XRAY_DAEMON_ADDRESS``), as a socket address."""
    text = value or os.environ.get(DAEMON_ADDRESS_VARIABLE) or DEFAULT_DAEMON_ADDRESS
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{DAEMON_ADDRESS_VARIABLE} is not host:port: {text!r}")
    return host, int(port)


class XRayDaemonExporter(SpanExporter):
    """Sends finished spans to the local X-Ray daemon over UDP, one datagram per span."""

    def __init__(self, address: tuple[str, int] | None = None) -> None:
        self._given = address  # None: the daemon Lambda names in AWS_XRAY_DAEMON_ADDRESS
        self._address = address or daemon_address()
        self._socket: socket.socket | None = None  # opened at the first span sent: see reset()
        self.dropped = 0
        self.muted = False  # while priming: spans are encoded, not sent

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = SpanExportResult.SUCCESS
        for span in spans:
            payload = encode_spans([span]).SerializeToString()
            datagram = DAEMON_HEADER + SAMPLED_SPANS + base64.b64encode(payload)
            if self.muted:
                continue
            if len(datagram) > MAX_DATAGRAM:
                self.dropped += 1
                result = SpanExportResult.FAILURE
                continue
            try:
                self._open().sendto(datagram, self._address)
            except OSError:
                self.dropped += 1
                result = SpanExportResult.FAILURE
        return result

    def _open(self) -> socket.socket:
        if self._socket is None:
            self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._socket.setblocking(False)
        return self._socket

    def reset(self) -> None:
        """Close the socket and read the daemon's address again (after a SnapStart restore, whose
        environment names its own); the next span opens a new socket."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._address = self._given or daemon_address()

    def shutdown(self) -> None:
        self.reset()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True  # nothing is held back: every span was sent as it ended


def function_resource(environ: Mapping[str, str] | None = None) -> Resource:
    """The function's resource, from the variables Lambda and the template set (no detector scan)."""
    env = os.environ if environ is None else environ
    function = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
    attributes: dict[str, Any] = {
        "service.name": env.get("POWERTOOLS_SERVICE_NAME") or function or "b2b",
        "cloud.provider": "aws",
        "cloud.platform": "aws_lambda",
        "cloud.region": env.get("AWS_REGION", ""),
        "faas.name": function,
        "faas.version": env.get("AWS_LAMBDA_FUNCTION_VERSION", ""),
        "deployment.environment.name": env.get("STAGE", ""),
    }
    return Resource({key: value for key, value in attributes.items() if value})


class _Started:
    done = False
    exporter: XRayDaemonExporter | None = None  # ours, when the provider is ours


_PARENT = AwsXRayLambdaPropagator()  # reads _X_AMZN_TRACE_ID, which Lambda sets per invocation
_TRACER = trace.get_tracer("b2b")  # follows the provider start() sets


def start() -> None:
    """Start the SDK and the botocore instrumentation once per process (a second call does nothing).

    A tracer provider set before (another distribution's wrapper, a test) is kept as it is.
    """
    if _Started.done:
        return
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        exporter = XRayDaemonExporter()
        provider = TracerProvider(resource=function_resource())
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        _Started.exporter = exporter
    # skip_dep_check: the layer pins botocore's instrumentation to what it was tested with; the check
    # would scan every installed package's metadata at each cold start.
    BotocoreInstrumentor().instrument(skip_dep_check=True)  # type: ignore[no-untyped-call]
    _Started.done = True


@snapstart.after_restore
def _reopen_after_restore() -> None:
    # A socket in the snapshot is shared by every restored environment; each opens its own.
    if _Started.exporter is not None:
        _Started.exporter.reset()


@contextmanager
def priming() -> Iterator[None]:
    """Spans made while open go through every step but the send (SnapStart priming).

    Priming serves made-up requests during init so the snapshot holds warm code paths; with tracing
    on those include making, encoding and exporting spans (and the botocore instrumentation's
    per-service code, loaded at a service's first call). Its requests are not traffic, so their spans
    go nowhere, and no socket is opened before the snapshot.
    """
    exporter = _Started.exporter
    if exporter is None:
        yield
        return
    exporter.muted = True
    try:
        yield
    finally:
        exporter.muted = False


@contextmanager
def invocation_span(name: str, context: Any) -> Iterator[trace.Span]:
    """The span of one invocation, child of the trace Lambda started for it (``_X_AMZN_TRACE_ID``)."""
    arn = str(getattr(context, "invoked_function_arn", "") or "")
    attributes = {
        "faas.invocation_id": str(getattr(context, "aws_request_id", "") or ""),
        "cloud.resource_id": ":".join(arn.split(":")[:7]),
    }
    with _TRACER.start_as_current_span(
        name,
        context=_PARENT.extract({}),
        kind=SpanKind.SERVER,
        attributes={key: value for key, value in attributes.items() if value},
        record_exception=True,
        set_status_on_exception=True,
    ) as span:
        yield span
