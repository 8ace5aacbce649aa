"""Lambda entry point of the LMS sync worker: one enrollment per SQS record, partial batch
failures reported so only the records that failed (LMS unreachable) are retried."""

from __future__ import annotations

from b2b import lambda_init  # first: the rest of init runs without the cyclic GC

lambda_init.begin()

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from b2b.observability import logger, metrics, tracer
from b2b.openedx import OpenEdxClient, OpenEdxConfig
from b2b.queues import LmsSyncRequest
from b2b.services.lms_sync import sync_enrollment
from b2b.settings import get_settings, require_settings

# Fails the cold start when a variable this function needs is missing.
require_settings(__name__)
processor = BatchProcessor(event_type=EventType.SQS)


@lru_cache(maxsize=1)
def lms_client() -> OpenEdxClient | None:
    """One client per execution environment (connection and token reused); None without an LMS."""
    config = OpenEdxConfig.for_lms(get_settings())
    return OpenEdxClient(config) if config is not None else None


def sync_record(record: SQSRecord) -> str:
    request = LmsSyncRequest.model_validate_json(record.body)
    logger.append_keys(user_id=request.user_id, run_id=request.run_id)
    result = sync_enrollment(request, lms_client(), get_settings().lms_enrollment_mode)
    metrics.add_metric(name=f"LmsSync_{result}", unit="Count", value=1)
    return result


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=sync_record, processor=processor, context=context
    )


lambda_init.end()  # last: freeze what init made, collector back on
