"""The signed-in learner of the current request."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from b2b.api.auth import claim_values, current_principal
from b2b.services.checkout import Learner
from b2b.settings import get_settings


def current_learner(app: APIGatewayHttpResolver) -> Learner:
    """The token's ``sub`` and its SSO organization claim (configurable name), if any."""
    principal = current_principal(app)
    values = claim_values(principal.claims, get_settings().sso_org_claim)
    return Learner(user_id=principal.user_id, sso_claim=values[0] if values else None, email=principal.email)
