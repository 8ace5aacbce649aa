"""Health check and API documentation routes."""

from __future__ import annotations

from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.base import Schema
from b2b.settings import get_settings

router = APIGatewayHttpRouter()

TITLE = "B2B contracts and enrollment codes"
VERSION = "1.0.0"
DOCS_PATH = "/v1/docs"
OPENAPI_PATH = "/v1/openapi.json"
# Reachable without a token; in deployed stages the docs need the admin role like the rest.
PUBLIC_PATHS = frozenset({"/v1/health"} | ({DOCS_PATH, OPENAPI_PATH} if get_settings().is_local else set()))


class Health(Schema):
    status: str
    stage: str


@router.get("/v1/health", tags=["system"])
def health() -> Health:
    return Health(status="ok", stage=get_settings().stage)


def enable_docs(app: APIGatewayHttpResolver) -> None:
    """Swagger UI at /v1/docs and the OpenAPI document at /v1/openapi.json.

    Both are built on request: the OpenAPI models and the Swagger assets stay out of the cold start.
    """

    def spec() -> str:
        return app.get_openapi_json_schema(title=TITLE, version=VERSION)

    @app.get(OPENAPI_PATH, include_in_schema=False)
    def openapi() -> Response[str]:
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=spec())

    @app.get(DOCS_PATH, include_in_schema=False)
    def docs() -> Response[str]:
        from aws_lambda_powertools.event_handler.openapi import swagger_ui  # noqa: PLC0415

        assets = Path(swagger_ui.__file__).parent
        body = swagger_ui.generate_swagger_html(
            spec().replace("</", "<\\/"),  # keep the document from closing the page's <script>
            (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
            (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
            "",
            None,
        )
        return Response(status_code=200, content_type=content_types.TEXT_HTML, body=body)
