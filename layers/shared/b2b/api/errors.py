"""The one mapping from exceptions to HTTP error responses.

Body: ``{"error": {"code": ..., "message": ..., "details": [{"field": ..., "message": ...}]}}``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import ConfigDict, Field

from b2b.api.base import Schema
from b2b.domain.errors import (
    B2BError,
    BadRequest,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Throttled,
    TooLarge,
    Unauthorized,
    Unavailable,
)
from b2b.observability import logger


class ErrorDetailBody(Schema):
    field: str
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    details: list[ErrorDetailBody] = Field(default_factory=list)


class ErrorResponse(Schema):
    """Every error response has this shape."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "invalid_input",
                        "message": "max_learners: Input should be greater than or equal to 1",
                        "details": [
                            {"field": "max_learners", "message": "Input should be greater than or equal to 1"}
                        ],
                    }
                }
            ]
        }
    )

    error: ErrorBody


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details or []))
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump_json(),
        headers=headers,
    )


_LOCATION_PREFIXES = ("body", "query", "path", "header")


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATION_PREFIXES:
        parts = parts[1:]
    # The handler's body parameter name is not part of the client's field path.
    if parts and parts[0] in {"body_model", "payload"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_details(error: RequestValidationError) -> tuple[int, str, list[dict[str, Any]]]:
    errors = list(error.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "bad_request", [{"field": "body", "message": "is not valid JSON"}]
    details = []
    for e in errors:
        message = str(e.get("msg", "is invalid"))
        if e.get("type") == "extra_forbidden":
            message = "is not a known field"
        elif e.get("type") == "missing":
            message = "is required"
        details.append({"field": _field_name(e.get("loc", ())), "message": message})
    return 422, "invalid_input", details


# Each kind of domain error answers with one status; anything else is a bug (500).
_STATUS_OF: dict[type[B2BError], int] = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    InvalidInput: 422,
    Throttled: 429,
    Unavailable: 503,
}


def status_of(error: B2BError) -> int:
    """The HTTP status a domain error answers with."""
    return next((status for kind, status in _STATUS_OF.items() if isinstance(error, kind)), 500)


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    """Install the exception handlers on a resolver."""

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[str]:
        status, code, details = _validation_details(error)
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        return error_response(status, code, summary or "invalid request", details)

    @app.exception_handler(UnicodeDecodeError)
    def _not_text(_: UnicodeDecodeError) -> Response[str]:
        details = [{"field": "body", "message": "is not UTF-8 text"}]
        return error_response(400, "bad_request", "body: is not UTF-8 text", details)

    @app.exception_handler(B2BError)
    def _domain_error(error: B2BError) -> Response[str]:
        headers = None
        if isinstance(error, Throttled | Unavailable):
            headers = {"Retry-After": str(error.retry_after_seconds)}
        status = status_of(error)
        if status >= 500:
            logger.warning("dependency unavailable", extra={"error_code": error.code})
        return error_response(
            status, error.code, error.message, [d.as_dict() for d in error.details], headers
        )

    @app.not_found
    def _not_found(_: NotFoundError) -> Response[str]:
        return error_response(404, "route_not_found", "no such route")
