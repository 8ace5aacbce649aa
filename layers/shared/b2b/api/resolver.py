"""Factory for the HTTP API resolvers, so every HTTP function validates and reports errors alike.

A request meets, in order: the function's *gates* (who may call: authentication and the admin role),
the body limits (size and JSON nesting, checked on the raw text), then Powertools' request
validation, then the route. So a caller without the right role learns nothing about a route's body,
and no body is parsed before it is known to be small and shallow.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from b2b.api.base import build_all
from b2b.api.errors import register_error_handlers
from b2b.domain.errors import BadRequest, ErrorDetail, TooLarge
from b2b.settings import get_settings

PageLimit = Annotated[int | None, Query(ge=1, le=1000, description="page size")]
PageCursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]
# Ids are DynamoDB numbers read into JSON: at most 2^53, so every client reads them exactly.
ContractIdPath = Annotated[int, Path(ge=1, le=2**53)]
# A readable Open edX id in a path: clients may percent-encode its "+" and ":" (see readable_id).
ReadableIdPath = Annotated[str, Path(min_length=1, max_length=400)]

Middleware = Callable[[APIGatewayHttpResolver, NextMiddleware], Response[Any]]

# The largest body we accept. The biggest legitimate one (a program of 99 course ids, or a contract
# with 5,000-character texts) is well under it; API Gateway's HTTP API refuses anything over 10 MB
# before it reaches us.
MAX_BODY_BYTES = 64 * 1024
# JSON nesting deeper than any request body has; deeper input would make the parser recurse.
MAX_JSON_DEPTH = 32

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """How deeply the JSON text nests arrays and objects (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_JSON_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def limit_body(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Refuse a body over :data:`MAX_BODY_BYTES` (413) or nested over :data:`MAX_JSON_DEPTH` (400)."""
    event = app.current_event
    if event.body:
        size = len(event.body) * 3 // 4 if event.is_base64_encoded else len(event.body.encode())
        if size > MAX_BODY_BYTES:
            message = f"is larger than {MAX_BODY_BYTES} bytes"
            raise TooLarge(message=f"body: {message}", details=[ErrorDetail("body", message)])
        if json_depth(event.decoded_body or "") > MAX_JSON_DEPTH:
            message = f"nests deeper than {MAX_JSON_DEPTH} levels"
            raise BadRequest(message=f"body: {message}", details=[ErrorDetail("body", message)])
    return next_middleware(app)


def _chain(middlewares: Sequence[Middleware]) -> Middleware:
    """One middleware that runs ``middlewares`` in order, then the rest of the stack."""

    def run(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        def step(index: int) -> NextMiddleware:
            if index == len(middlewares):
                return next_middleware

            def call(current: APIGatewayHttpResolver) -> Response[Any]:
                return middlewares[index](current, step(index + 1))

            return call  # type: ignore[return-value]

        return step(0)(app)

    return run


class JsonHttpResolver(APIGatewayHttpResolver):
    """A resolver for an API whose request bodies are always JSON.

    Clients such as ``curl -d`` send JSON labelled as a form; the body is read as JSON whatever
    the content type says, so they get JSON validation errors rather than form-parsing noise.
    """

    def __init__(self, gates: Sequence[Middleware] = ()) -> None:
        super().__init__(enable_validation=True)
        # Powertools runs its request validation before any middleware of ours; gates and body
        # limits are put in front of it, so they see the request first.
        validation = self._request_validation_middleware
        self._request_validation_middleware = _chain([*gates, limit_body, validation])  # type: ignore[assignment]

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        headers = event.get("headers") or {}
        if event.get("body") and headers.get("content-type", "").split(";")[0].strip() != "application/json":
            event = {**event, "headers": {**headers, "content-type": "application/json"}}
        return super().resolve(event, context)


def build_resolver(gates: Sequence[Middleware] = ()) -> APIGatewayHttpResolver:
    """An HTTP API (payload v2) resolver with request validation and the shared error mapping.

    ``gates`` (authentication, authorization) run before the body is read or validated.
    """
    app = JsonHttpResolver(gates)
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

    Metrics the invocations add are dropped, their spans are not sent and the logger's keys are cleared; a
    failure is logged and stops priming rather than failing the version's publication.
    """
    from b2b.observability import logger, metrics, tracer  # noqa: PLC0415

    disabled = os.environ.get("POWERTOOLS_METRICS_DISABLED")
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"  # flushes keep the metrics; dropped below
    try:
        with tracer.priming():  # spans made and encoded, not sent: priming is not traffic
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


def readable_id(path_value: str) -> str:
    """A readable id taken from a path, with any percent-encoding of its "+" and ":" undone."""
    return unquote(path_value)
