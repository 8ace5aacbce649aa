"""Middleware for learner-facing functions: a Keycloak ``organization`` claim on the caller's token
attaches them to their organization's auto contracts (and detaches them from one it no longer
names). Costs nothing while the claim set is unchanged; see :func:`b2b.services.sso.sync_claims`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from b2b.api.auth import current_principal
from b2b.services import sso
from b2b.settings import get_settings


def sync_sso_claims(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Sync the caller's SSO memberships with their token's organization claim, then go on.

    A token without the claim (a Cognito token, or a Keycloak user in no organization whose
    mapper omits it) changes nothing; leaving is then reported by the Keycloak webhook.
    """
    claim = get_settings().keycloak_org_claim
    if claim:
        principal = current_principal(app)
        organization_ids = sso.organization_ids_from_claim(principal.claims.get(claim))
        if organization_ids is not None:
            sso.sync_claims(principal.user_id, organization_ids)
    return next_middleware(app)
