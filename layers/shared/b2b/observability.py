"""The one place that creates the Powertools Logger, Tracer and Metrics.

Service name, namespace and log level come from the standard Powertools environment variables
(``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``, ``POWERTOOLS_LOG_LEVEL``), which the
library reads itself; whether tracing is on is asked of :mod:`b2b.settings`.

The Tracer loads the X-Ray SDK (about 0.3 s). It is built only when tracing is on
(``POWERTOOLS_TRACE_DISABLED`` unset or false, as in deployed stages); with tracing off (the local
stack, tests) its decorators leave functions as they are and the SDK is never imported.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

from b2b.settings import tracing_enabled

F = TypeVar("F", bound=Callable[..., Any])

# A function that emitted no business metric in an invocation is normal here, not worth a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
metrics = Metrics()


class _TracerFacade:
    """The part of Powertools' Tracer the functions use, building the real one only when tracing is on."""

    def __init__(self) -> None:
        self._tracer: Any = None
        if tracing_enabled():
            from aws_lambda_powertools import Tracer  # noqa: PLC0415

            self._tracer = Tracer()

    def capture_lambda_handler(self, handler: F) -> F:
        return self._tracer.capture_lambda_handler(handler) if self._tracer else handler

    def capture_method(self, method: F) -> F:
        return self._tracer.capture_method(method) if self._tracer else method

    def put_annotation(self, key: str, value: str | int | bool) -> None:
        if self._tracer:
            self._tracer.put_annotation(key=key, value=value)


tracer = _TracerFacade()
