"""Keycloak event webhook: a login (or a change of organization membership) brings the user's SSO
memberships in line with the organizations Keycloak says they belong to.

Two signed formats are accepted:

- the keycloak-events extension as installed: ``X-Keycloak-Signature`` = hex HMAC-SHA256 of the raw
  body, its event envelope (``access.LOGIN``, ``admin.ORGANIZATION_MEMBERSHIP-DELETE``...), no
  organization in it (looked up in Keycloak's admin API);
- the older ``X-Signature: t=<ts>,v1=<hex>`` format, whose body may carry the organizations.

Answers: 200 processed, 202 queued (finished by the SSO attach queue), 200 duplicate (an event
already taken in), 202 ignored with a reason (nothing to do: the sender must not retry), 401 for a
bad signature or a stale event, 422 for a body that is not an event, 503 when the event could be
neither done nor queued (the sender retries it).
"""

from __future__ import annotations

from b2b import lambda_init  # first: the rest of init runs without the cyclic GC

lambda_init.begin()

import time
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from b2b import secrets
from b2b.api.learner_schemas import KeycloakEvent, KeycloakHookOut
from b2b.api.resolver import build_resolver
from b2b.domain.errors import ErrorDetail, InvalidInput, Unauthorized, Unavailable
from b2b.observability import logger, metrics, tracer
from b2b.services import keycloak_events
from b2b.settings import get_settings, require_settings
from pydantic import ValidationError

from keycloak_hook import signature

# Fails the cold start when a variable this function needs is missing.
require_settings(__name__)
app = build_resolver()


def _parse(body: str) -> KeycloakEvent:
    try:
        return KeycloakEvent.model_validate_json(body)
    except ValidationError as error:
        details = [
            ErrorDetail(".".join(str(p) for p in e["loc"]) or "body", str(e["msg"])) for e in error.errors()
        ]
        raise InvalidInput("; ".join(f"{d.field}: {d.message}" for d in details), details) from None


def _refuse(reason: str, message: str) -> Unauthorized:
    metrics.add_metric(name="KeycloakHookRejected", unit="Count", value=1)
    logger.warning("Keycloak webhook call refused", extra={"reason": reason})
    return Unauthorized(message, code=reason)


def _verify(body: str, keycloak_signature: str | None, legacy_signature: str | None) -> bool:
    """Check the signature; True for the extension's format, False for the older one."""
    try:
        secret = secrets.keycloak_webhook_secret()
    except secrets.SecretUnavailable as exc:
        raise Unavailable(
            "the webhook secret cannot be read; retry later", code="secret_unavailable"
        ) from exc
    settings = get_settings()
    if keycloak_signature is not None:
        if signature.is_valid_keycloak(secret, keycloak_signature, body):
            return True
        raise _refuse("invalid_signature", "missing or invalid signature")
    if signature.is_valid(
        secret, legacy_signature, body, time.time(), settings.keycloak_webhook_tolerance_seconds
    ):
        return False
    raise _refuse("invalid_signature", "missing, invalid or expired signature")


def _ignored(reason: str, event: KeycloakEvent) -> Response[KeycloakHookOut]:
    logger.info("Keycloak event ignored", extra={"type": event.type, "event_id": event.id, "reason": reason})
    return Response(202, content_types.APPLICATION_JSON, KeycloakHookOut(status="ignored", reason=reason))


@app.post(
    "/v1/hooks/keycloak",
    tags=["hooks"],
    responses={
        200: {
            "description": "processed, or a duplicate of an event already taken in",
            "content": {"application/json": {"model": KeycloakHookOut}},
        },
        202: {
            "description": "queued (finished by the SSO attach queue), or ignored with a reason",
            "content": {"application/json": {"model": KeycloakHookOut}},
        },
    },
)
def keycloak_event(
    x_keycloak_signature: Annotated[
        str | None,
        Header(alias="x-keycloak-signature", description="keycloak-events: hex HMAC-SHA256 of the body"),
    ] = None,
    x_signature: Annotated[
        str | None, Header(alias="x-signature", description="older format: t=<ts>,v1=<hex hmac>")
    ] = None,
) -> Response[KeycloakHookOut]:
    body = app.current_event.decoded_body or ""
    stock = _verify(body, x_keycloak_signature, x_signature)
    event = _parse(body)
    if stock:
        # The extension's events carry their own time (epoch ms) and are signed without one.
        if event.time is None:
            raise InvalidInput.for_field("time", "is required with X-Keycloak-Signature")
        age = time.time() - event.time / 1000
        if abs(age) > get_settings().keycloak_event_max_age_seconds:
            raise _refuse("stale_event", f"event time is {age:.0f} s away from now; refused")
    kind = keycloak_events.event_kind(event.type)
    if kind == "other":
        return _ignored("not_a_login_or_membership_event", event)
    if kind == "login":
        user_id = event.subject
        if not user_id:
            raise InvalidInput.for_field("authDetails.userId", "a login event names its user")
    else:
        # Keycloak names the member in the path of a removal only; an addition shows on the
        # member's next login.
        user_id = keycloak_events.member_of_path(event.resource_path)
        if not user_id:
            return _ignored("no_user_in_event", event)
    organization_ids: list[str] | None = None
    if isinstance(event.organization, dict):
        organization_ids = sorted({ref.id for ref in event.organization.values()})
    elif isinstance(event.organization, list):
        organization_ids = sorted(set(event.organization))
    outcome = keycloak_events.handle_event(
        event_id=event.id, kind=kind, user_id=user_id, organization_ids=organization_ids
    )
    result = KeycloakHookOut(
        status=outcome.status,
        reason=outcome.reason,
        attached=outcome.login.attached,
        already_attached=outcome.login.already_attached,
        full=outcome.login.full,
        detached=outcome.login.detached,
        unknown_organizations=outcome.unknown_organizations,
    )
    status = 200 if outcome.status in {"processed", "duplicate"} else 202
    return Response(status, content_types.APPLICATION_JSON, result)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


lambda_init.end()  # last: freeze what init made, collector back on
