"""Keycloak event webhook: a signed login event attaches the user to their organizations' auto
contracts (and detaches them from ones their organizations no longer include)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from b2b.api.learner_schemas import KeycloakHookOut, KeycloakLoginEvent
from b2b.api.resolver import build_resolver
from b2b.domain.errors import ErrorDetail, InvalidInput, Unauthorized
from b2b.observability import logger, metrics, tracer
from b2b.services import sso
from b2b.settings import get_settings
from pydantic import ValidationError

from keycloak_hook import signature

app = build_resolver()
# Events that mean "this user just signed in"; others are acknowledged and ignored.
LOGIN_EVENTS = frozenset({"LOGIN", "REGISTER", "IDENTITY_PROVIDER_LOGIN", "IDENTITY_PROVIDER_FIRST_LOGIN"})


def _parse(body: str) -> KeycloakLoginEvent:
    try:
        return KeycloakLoginEvent.model_validate_json(body)
    except ValidationError as error:
        details = [
            ErrorDetail(".".join(str(p) for p in e["loc"]) or "body", str(e["msg"])) for e in error.errors()
        ]
        raise InvalidInput("; ".join(f"{d.field}: {d.message}" for d in details), details) from None


@app.post("/v1/hooks/keycloak", tags=["hooks"])
def keycloak_event(
    x_signature: Annotated[
        str | None, Header(alias="x-signature", description="t=<ts>,v1=<hex hmac>")
    ] = None,
) -> Response[KeycloakHookOut]:
    settings = get_settings()
    body = app.current_event.decoded_body or ""
    now = time.time()
    if not any(
        signature.is_valid(secret, x_signature, body, now, settings.keycloak_webhook_tolerance_seconds)
        for secret in settings.keycloak_webhook_secrets
    ):
        metrics.add_metric(name="KeycloakHookRejected", unit="Count", value=1)
        raise Unauthorized("missing, invalid or expired signature", code="invalid_signature")
    event = _parse(body)
    if event.type.upper() not in LOGIN_EVENTS:
        return Response(202, content_types.APPLICATION_JSON, KeycloakHookOut(status="ignored"))
    organization_ids = [ref.id for ref in event.organization.values()]
    outcome = sso.login(event.user_id, organization_ids)
    result = KeycloakHookOut(
        status="processed",
        attached=outcome.attached,
        already_attached=outcome.already_attached,
        full=outcome.full,
        detached=outcome.detached,
    )
    return Response(200, content_types.APPLICATION_JSON, result)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
