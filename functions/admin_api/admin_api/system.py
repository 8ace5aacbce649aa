"""Health check and API documentation routes."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.settings import get_settings
from pydantic import BaseModel

router = APIGatewayHttpRouter()

TITLE = "B2B contracts and enrollment codes"
VERSION = "1.0.0"
DOCS_PATH = "/v1/docs"
OPENAPI_PATH = "/v1/openapi.json"
# Reachable without a token; in deployed stages the docs need the admin role like the rest.
PUBLIC_PATHS = frozenset({"/v1/health"} | ({DOCS_PATH, OPENAPI_PATH} if get_settings().is_local else set()))


class Health(BaseModel):
    status: str
    stage: str


@router.get("/v1/health", tags=["system"])
def health() -> Health:
    return Health(status="ok", stage=get_settings().stage)


def enable_docs(app: APIGatewayHttpResolver) -> None:
    """Swagger UI at /v1/docs and the OpenAPI document at /v1/openapi.json."""
    app.enable_swagger(path=DOCS_PATH, title=TITLE, version=VERSION)

    @app.get(OPENAPI_PATH, include_in_schema=False)
    def openapi() -> Response[str]:
        schema = app.get_openapi_json_schema(title=TITLE, version=VERSION)
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=schema)
