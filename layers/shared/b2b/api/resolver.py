"""Factory for the HTTP API resolvers, so every HTTP function validates and reports errors alike."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.params import Query

from b2b.api.errors import register_error_handlers
from b2b.settings import get_settings

PageLimit = Annotated[int | None, Query(ge=1, le=1000, description="page size")]
PageCursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]


def build_resolver() -> APIGatewayHttpResolver:
    """An HTTP API (payload v2) resolver with request validation and the shared error mapping."""
    app = APIGatewayHttpResolver(enable_validation=True)
    register_error_handlers(app)
    return app


def page_size(limit: int | None) -> int:
    """The page size to use for a requested ``limit`` (default and ceiling from settings)."""
    settings = get_settings()
    return min(limit or settings.default_page_size, settings.max_page_size)
