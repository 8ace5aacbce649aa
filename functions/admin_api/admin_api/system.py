"""Health check and API documentation routes."""

from __future__ import annotations

from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.base import Schema
from b2b.api.openapi import operation
from b2b.settings import get_settings

router = APIGatewayHttpRouter()

DOCS_PATH = "/v1/docs"
OPENAPI_PATH = "/v1/openapi.json"
# Reachable without a token; in deployed stages the docs need the admin role like the rest.
PUBLIC_PATHS = frozenset({"/v1/health"} | ({DOCS_PATH, OPENAPI_PATH} if get_settings().is_local else set()))


class Health(Schema):
    status: str
    stage: str


@router.get(
    "/v1/health",
    **operation(
        "Health check",
        "Answers `ok` and the stage when the function is up. Touches no database.",
        role="public",
        tag="system",
    ),
)
def health() -> Health:
    return Health(status="ok", stage=get_settings().stage)


def enable_docs(app: APIGatewayHttpResolver) -> None:
    """Swagger UI at /v1/docs and the OpenAPI document of the whole API at /v1/openapi.json.

    The document covers the checkout and learner functions too, so it cannot be generated from this
    function's routes: it is the committed ``openapi.json`` beside this module, assembled from every
    function's routers by ``python -m b2b_local openapi`` (a test fails when it is stale). Both are
    read on request: the document and the Swagger assets stay out of the cold start.
    """

    @app.get(OPENAPI_PATH, include_in_schema=False)
    def openapi() -> Response[str]:
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=_document())

    @app.get(DOCS_PATH, include_in_schema=False)
    def docs() -> Response[str]:
        from aws_lambda_powertools.event_handler.openapi import swagger_ui  # noqa: PLC0415

        assets = Path(swagger_ui.__file__).parent
        body = swagger_ui.generate_swagger_html(
            _document().replace("</", "<\\/"),  # keep the document from closing the page's <script>
            (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
            (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
            "",
            None,
            persist_authorization=True,
        )
        return Response(status_code=200, content_type=content_types.TEXT_HTML, body=body)


def _document() -> str:
    return (Path(__file__).parent / "openapi.json").read_text(encoding="utf-8")
