"""Lambda entry point of the courseware cloner: one clone request per SQS record, partial batch
failures reported so only the records that failed are retried."""

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
from b2b.queues import CloneRunRequest
from b2b.services.cloning import clone_contract_run
from b2b.settings import get_settings, require_settings

# Fails the cold start when a variable this function needs is missing.
require_settings(__name__)
processor = BatchProcessor(event_type=EventType.SQS)


@lru_cache(maxsize=1)
def studio_client() -> OpenEdxClient:
    """One client per execution environment, so the connection and the token are reused."""
    config = OpenEdxConfig.from_settings(get_settings())
    if config is None:
        raise RuntimeError("Open edX is not configured (OPENEDX_* settings); clone requests wait")
    return OpenEdxClient(config)


def clone_record(record: SQSRecord) -> str:
    request = CloneRunRequest.model_validate_json(record.body)
    logger.append_keys(run_id=request.run_id, contract_id=request.contract_id)
    result = clone_contract_run(request, studio_client())
    metrics.add_metric(name=f"Clone_{result}", unit="Count", value=1)
    return result


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=clone_record, processor=processor, context=context
    )


lambda_init.end()  # last: freeze what init made, collector back on
