"""Lambda entry point of the code reconciler: one ReconcileRequest per SQS message.

Messages fail independently (partial batch response): a poison message is retried and then
dead-lettered by the queue, while the rest of its batch succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from b2b.domain.codes import reconcile_codes
from b2b.observability import logger, metrics, tracer
from b2b.queues import ReconcileRequest

processor = BatchProcessor(event_type=EventType.SQS)


def _seconds_left(context: LambdaContext | None) -> Callable[[], float] | None:
    if context is None:
        return None
    return lambda: context.get_remaining_time_in_millis() / 1000


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    request = ReconcileRequest.model_validate_json(record.body)
    logger.append_keys(contract_id=request.contract_id, change_id=request.change_id)
    outcome = reconcile_codes(request, time_left=_seconds_left(lambda_context))
    metrics.add_metric(name="CodeWrites", unit="Count", value=outcome.writes)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
