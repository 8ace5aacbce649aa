"""Cognito PostAuthentication and PostConfirmation trigger: attach the learner to their SSO
organization's auto contracts. Fails open: always returns the event, within the time budget."""

from __future__ import annotations

from b2b import lambda_init  # first: the rest of init runs without the cyclic GC

lambda_init.begin()

import re
from typing import Any

from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import (
    PostAuthenticationTriggerEvent,
    PostConfirmationTriggerEvent,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from b2b.api.resolver import prime_handler
from b2b.observability import logger, metrics, tracer
from b2b.services import sso
from b2b.settings import get_settings, require_settings
from b2b.snapstart import snapshot_init

# Fails the cold start when a variable this function needs is missing.
require_settings(__name__)

# Room left for returning to Cognito after the budget is spent.
_RETURN_MARGIN_SECONDS = 0.3


def _organization_ids(attributes: dict[str, str]) -> list[str]:
    # One id, or several separated by commas or spaces.
    value = attributes.get(get_settings().sso_org_attribute) or ""
    return [part for part in re.split(r"[,\s]+", value) if part]


def _budget_seconds(context: LambdaContext) -> float:
    budget = get_settings().sso_trigger_budget_ms / 1000
    try:
        remaining = context.get_remaining_time_in_millis() / 1000 - _RETURN_MARGIN_SECONDS
    except Exception:  # a context without a clock (tests, manual invokes)
        return budget
    return max(0.05, min(budget, remaining))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        trigger = str(event.get("triggerSource", ""))
        data = (
            PostConfirmationTriggerEvent(event)
            if trigger.startswith("PostConfirmation")
            else PostAuthenticationTriggerEvent(event)
        )
        attributes = data.request.user_attributes
        user_id = attributes.get("sub") or data.user_name
        # The email rides to the SSO attach worker, which keeps it before making default enrollments.
        outcome = sso.login_within_budget(
            user_id, _organization_ids(attributes), _budget_seconds(context), attributes.get("email")
        )
        logger.info(
            "SSO login",
            extra={
                "trigger": trigger,
                "user_id": user_id,
                "attached": outcome.attached,
                "full": outcome.full,
                "detached": outcome.detached,
                "complete": outcome.complete,
            },
        )
    except Exception:
        # A sign-in must never fail because of us.
        logger.exception("SSO trigger failed")
    return event


if snapshot_init():
    # Init is snapshotted once per version: a made-up learner's logins (no memberships, no
    # organizations; the first records that it was seen, the rest only read) build the request
    # path and the worker pool before the snapshot.
    prime_handler(
        lambda_handler,
        [
            {
                "triggerSource": "PostAuthentication_Authentication",
                "userName": "snapstart-prime",
                "request": {"userAttributes": {"sub": "snapstart-prime"}},
                "response": {},
            }
        ],
    )


lambda_init.end()  # last: freeze what init made, collector back on
