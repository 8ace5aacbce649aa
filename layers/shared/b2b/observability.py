"""The one place that creates the Powertools Logger and Metrics, and ties logs to traces.

Service name, namespace and log level come from the standard Powertools environment variables
(``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``, ``POWERTOOLS_LOG_LEVEL``), which the
library reads itself; whether tracing is on is asked of :mod:`b2b.settings`.

Tracing is OpenTelemetry, not the X-Ray SDK (in maintenance since February 2026, unsupported from
February 2027). With tracing on, this module starts it (:mod:`b2b.tracing`: the SDK, the botocore
instrumentation, spans to the X-Ray daemon) before any client is made, opens a span per invocation
that continues Lambda's trace, and puts that span's trace and span ids on every log line of the
invocation. The modules that build an HTTP client hand it to :meth:`_Tracing.instrument_http_client`,
which instruments that client alone, so only functions that call out over HTTP load the httpx
instrumentation. With tracing off (``POWERTOOLS_TRACE_DISABLED`` true, as on the local stack and in
tests) nothing of OpenTelemetry is imported.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics

from b2b.settings import tracing_enabled

F = TypeVar("F", bound=Callable[..., Any])

# A function that emitted no business metric in an invocation is normal here, not worth a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
metrics = Metrics()


def xray_trace_id(trace_id: int) -> str:
    """An OpenTelemetry trace id written the way X-Ray shows it (``1-<8 hex>-<24 hex>``)."""
    text = f"{trace_id:032x}"
    return f"1-{text[:8]}-{text[8:]}"


class _Tracing:
    """Spans and log correlation through the OpenTelemetry API, when tracing is on and the API is there."""

    def __init__(self) -> None:
        self._trace: Any = None
        self._tracing: Any = None
        if tracing_enabled():
            try:
                from opentelemetry import trace  # noqa: PLC0415 - only when tracing is on

                from b2b import tracing  # noqa: PLC0415
            except ImportError:  # a build of the layer without its OpenTelemetry packages
                logger.warning("tracing is on but OpenTelemetry is not installed; no spans")
            else:
                tracing.start()
                self._trace = trace
                self._tracing = tracing

    @property
    def enabled(self) -> bool:
        return self._trace is not None

    def current_ids(self) -> dict[str, str]:
        """The current span's trace id (X-Ray form) and span id, or nothing outside a traced span."""
        if self._trace is None:
            return {}
        context = self._trace.get_current_span().get_span_context()
        if not context.is_valid:
            return {}
        return {"trace_id": xray_trace_id(context.trace_id), "span_id": f"{context.span_id:016x}"}

    def capture_lambda_handler(self, handler: F) -> F:
        """Run each invocation in a span of Lambda's trace, and put its ids on every log line it writes.

        Goes inside ``logger.inject_lambda_context(clear_state=True)``, which clears the keys first.
        """
        if self._trace is None:
            return handler
        invocation_span = self._tracing.invocation_span

        @functools.wraps(handler)
        def traced(event: Any, context: Any) -> Any:
            with invocation_span(getattr(context, "function_name", "") or handler.__module__, context):
                logger.append_keys(**self.current_ids())
                return handler(event, context)

        return cast(F, traced)

    @contextlib.contextmanager
    def priming(self) -> Iterator[None]:
        """What SnapStart priming runs under: spans are made and encoded but not sent (not traffic)."""
        if self._trace is None:
            yield
            return
        with self._tracing.priming():
            yield

    def capture_method(self, method: F) -> F:
        """A span of its own around ``method`` (named after it), child of the current one."""
        if self._trace is None:
            return method
        tracer = self._trace.get_tracer("b2b")
        name = f"{method.__module__}.{method.__qualname__}"

        @functools.wraps(method)
        def traced(*args: Any, **kwargs: Any) -> Any:
            with tracer.start_as_current_span(name):
                return method(*args, **kwargs)

        return cast(F, traced)

    def instrument_http_client(self, client: Any) -> None:
        """Make every request ``client`` (an ``httpx.Client``) sends a span of the current trace.

        Nothing when tracing is off, when the httpx instrumentation is not installed, or when it
        already instruments every client (an auto-instrumenting wrapper did).
        """
        if self._trace is None:
            return
        try:
            from opentelemetry.instrumentation.httpx import (  # noqa: PLC0415 - only clients of traced functions
                HTTPXClientInstrumentor,
            )
        except ImportError:
            logger.warning("tracing is on but the httpx instrumentation is not installed; no HTTP spans")
            return
        if not HTTPXClientInstrumentor().is_instrumented_by_opentelemetry:
            HTTPXClientInstrumentor.instrument_client(client)

    def put_annotation(self, key: str, value: str | int | bool) -> None:
        """An attribute on the current span (X-Ray indexes these as annotations)."""
        if self._trace is not None:
            self._trace.get_current_span().set_attribute(key, value)


tracer = _Tracing()
