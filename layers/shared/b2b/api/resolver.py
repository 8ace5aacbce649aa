"""Factory for the HTTP API resolvers, so every HTTP function validates and reports errors alike.

A request meets, in order: the function's *gates* (who may call: authentication and the admin role),
the body limits (size and JSON nesting, checked on the raw text), then Powertools' request
validation, then the route. So a caller without the right role learns nothing about a route's body,
and no body is parsed before it is known to be small and shallow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from b2b.api.errors import register_error_handlers
from b2b.domain.errors import BadRequest, ErrorDetail, TooLarge
from b2b.settings import get_settings

PageLimit = Annotated[int | None, Query(ge=1, le=1000, description="page size")]
PageCursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]
# Ids are DynamoDB numbers read into JSON: at most 2^53, so every client reads them exactly.
ContractIdPath = Annotated[int, Path(ge=1, le=2**53)]

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
