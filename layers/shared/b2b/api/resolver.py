"""Factory for the HTTP API resolvers, so every HTTP function validates and reports errors alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from b2b.api.errors import register_error_handlers
from b2b.settings import get_settings

PageLimit = Annotated[int | None, Query(ge=1, le=1000, description="page size")]
PageCursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]
# Ids are DynamoDB numbers read into JSON: at most 2^53, so every client reads them exactly.
ContractIdPath = Annotated[int, Path(ge=1, le=2**53)]


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
