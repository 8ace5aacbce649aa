"""Factory for the HTTP API resolvers, so every HTTP function validates and reports errors alike."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from b2b.api.base import build_all
from b2b.api.errors import register_error_handlers
from b2b.settings import get_settings

PageLimit = Annotated[int | None, Query(ge=1, le=1000, description="page size")]
PageCursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]


class JsonHttpResolver(APIGatewayHttpResolver):
    """A resolver for an API whose request bodies are always JSON.

    Clients such as ``curl -d`` send JSON labelled as a form; the body is read as JSON whatever
    the content type says, so they get JSON validation errors rather than form-parsing noise.
    """

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        headers = event.get("headers") or {}
        if event.get("body") and headers.get("content-type", "").split(";")[0].strip() != "application/json":
            event = {**event, "headers": {**headers, "content-type": "application/json"}}
        return super().resolve(event, context)


def build_resolver() -> APIGatewayHttpResolver:
    """An HTTP API (payload v2) resolver with request validation and the shared error mapping."""
    app = JsonHttpResolver(enable_validation=True)
    register_error_handlers(app)
    return app


def page_size(limit: int | None) -> int:
    """The page size to use for a requested ``limit`` (default and ceiling from settings)."""
    settings = get_settings()
    return min(limit or settings.default_page_size, settings.max_page_size)


class _PrimeContext:
    """The part of a Lambda context the resolvers read, for requests served during init."""

    function_name = "snapstart-prime"
    memory_limit_in_mb = 0
    invoked_function_arn = ""
    aws_request_id = "snapstart-prime"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def prime_event(
    method: str, path: str, *, claims: dict[str, str] | None = None, body: str | None = None
) -> dict[str, Any]:
    """A minimal HTTP API (payload v2) event, as the JWT authorizer would pass it."""
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": "snapstart-prime",
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "authorizer": {"jwt": {"claims": claims or {}, "scopes": None}},
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body
    return event


PRIME_ROUNDS = 8
_PATH_PARAMETER = re.compile(r"<\w+>")
# In every path parameter's range (ids are integers up to 2**53), and never given out.
_ABSENT_ID = str(2**53 - 1)


def prime(
    handler: Callable[[dict[str, Any], Any], Any],
    app: APIGatewayHttpResolver,
    *,
    claims: dict[str, str],
    extra: Iterable[dict[str, Any]] = (),
) -> None:
    """Serve requests to ``handler`` during a SnapStart init, so the snapshot holds what they build.

    A first request otherwise pays for its route's middleware stack and validators, its bodies'
    pydantic schemas, the logger's correlation path and the DynamoDB client's first request path.
    Every GET route is served (reads only, by a made-up caller, of items that are not there), and
    ``extra``: requests of other methods that only read. Each is served a few times, so the
    interpreter has specialized the hot code too (it does after a handful of runs, and the snapshot
    keeps that). Metrics the requests add are dropped; a failure is logged and stops priming
    rather than failing the version's publication.
    """
    app.get_openapi_schema()  # every route's dependant, built once
    build_all()  # every body's validator and serializer, found items' responses included
    requests = [
        prime_event("GET", _PATH_PARAMETER.sub(_ABSENT_ID, route.path), claims=claims)
        for route in _routes(app)
        if route.method == "GET"
    ]
    prime_handler(handler, [*requests, *extra])


def prime_handler(handler: Callable[[dict[str, Any], Any], Any], events: list[dict[str, Any]]) -> None:
    """Invoke ``handler`` with each of ``events``, a few rounds, during a SnapStart init.

    Metrics the invocations add are dropped and the logger's keys cleared; a failure is logged
    and stops priming rather than failing the version's publication.
    """
    from b2b.observability import logger, metrics  # noqa: PLC0415

    disabled = os.environ.get("POWERTOOLS_METRICS_DISABLED")
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"  # flushes keep the metrics; dropped below
    try:
        for _ in range(PRIME_ROUNDS):
            for event in events:
                handler(dict(event), _PrimeContext())
    except Exception:
        logger.exception("SnapStart priming stopped")
    finally:
        if disabled is None:
            os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)
        else:
            os.environ["POWERTOOLS_METRICS_DISABLED"] = disabled
        metrics.clear_metrics()
        logger.clear_state()


def _routes(app: APIGatewayHttpResolver) -> list[Any]:
    # The resolver keeps its routes in two lists (no public accessor).
    return list(getattr(app, "_static_routes", [])) + list(getattr(app, "_dynamic_routes", []))
