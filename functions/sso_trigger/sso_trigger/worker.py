"""Consumer of the SSO attach queue: finishes logins the Cognito trigger and the Keycloak webhook
handed off (Keycloak membership lookups included) and their default enrollments. A failing message is retried, then dead-lettered."""

from __future__ import annotations

from b2b import lambda_init  # first: the rest of init runs without the cyclic GC

lambda_init.begin()

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from b2b.observability import logger, metrics, tracer
from b2b.queues import SsoAttachRequest
from b2b.services import keycloak_events, sso
from b2b.settings import require_settings

# Fails the cold start when a variable this function needs is missing.
require_settings(__name__)
processor = BatchProcessor(event_type=EventType.SQS)


def complete_login(record: SQSRecord) -> None:
    request = SsoAttachRequest.model_validate_json(record.body)
    if request.reason == "keycloak_lookup":
        # A Keycloak login whose memberships the webhook could not look up in time.
        outcome = keycloak_events.complete_lookup(request)
    else:
        outcome = sso.complete_request(request)
    logger.info(
        "SSO login completed from the queue",
        extra={"user_id": request.user_id, "reason": request.reason, "attached": outcome.attached},
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=complete_login, processor=processor, context=context
    )


lambda_init.end()  # last: freeze what init made, collector back on
