"""Lambda entry point of the code reconciler: one ReconcileRequest per SQS message.

The queue is FIFO, one message group per contract, so a contract's changes apply in the order they
were made. Powertools' FIFO processor keeps that order through failures: when a message fails, the
later messages of the same group in the batch are not run but reported failed with it (they come
back after it), while other contracts' messages go on. A poison message is retried and then
dead-lettered by the queue.
"""

from __future__ import annotations

from b2b import lambda_init  # first: the rest of init runs without the cyclic GC

lambda_init.begin()

import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from b2b.observability import logger, metrics, tracer
from b2b.queues import ReconcileRequest
from b2b.services.codes import reconcile_codes
from b2b.settings import require_settings

# Fails the cold start when a variable this function needs is missing.
require_settings(__name__)
processor = SqsFifoPartialProcessor(skip_group_on_error=True)


def _seconds_left(context: LambdaContext | None) -> Callable[[], float] | None:
    if context is None:
        return None
    return lambda: context.get_remaining_time_in_millis() / 1000


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    request = ReconcileRequest.model_validate_json(record.body)
    logger.append_keys(contract_id=request.contract_id, change_id=request.change_id)
    # Lag: from the change being queued to its reconciliation starting.
    sent_ms = int(record.attributes.sent_timestamp or 0)
    if sent_ms:
        lag = max(0.0, time.time() - sent_ms / 1000)
        metrics.add_metric(name="ReconcileLagSeconds", unit=MetricUnit.Seconds, value=round(lag, 3))
    outcome = reconcile_codes(request, time_left=_seconds_left(lambda_context))
    metrics.add_metric(name="CodeWrites", unit=MetricUnit.Count, value=outcome.writes)
    metrics.add_metric(name="CodesGenerated", unit=MetricUnit.Count, value=outcome.created)
    metrics.add_metric(name="CodesDeactivated", unit=MetricUnit.Count, value=outcome.deactivated)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)


lambda_init.end()  # last: freeze what init made, collector back on
