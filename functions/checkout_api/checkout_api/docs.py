"""The checkout API's OpenAPI document (for the storefront and for contract tests)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

TITLE = "B2B checkout"
VERSION = "1.0.0"
OPENAPI_PATH = "/v1/checkout/openapi.json"


def enable_openapi(app: APIGatewayHttpResolver) -> None:
    @app.get(OPENAPI_PATH, include_in_schema=False)
    def openapi() -> Response[str]:
        schema = app.get_openapi_json_schema(title=TITLE, version=VERSION)
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=schema)
