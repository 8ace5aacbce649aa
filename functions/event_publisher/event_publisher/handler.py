"""Lambda entry point of the event publisher: one batch of DynamoDB stream records (already
filtered to the item kinds that mean something outside) → events on the bus and LMS syncs.

A failure reports the first record whose events did not all get out, so Lambda retries from there
and the shard keeps its order.
"""

from __future__ import annotations

from b2b import lambda_init  # first: the rest of init runs without the cyclic GC

lambda_init.begin()

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from b2b.domain.events import ItemChange
from b2b.observability import logger, metrics, tracer
from b2b.services.outbox import ChangesNotPublished, publish_changes
from b2b.settings import require_settings

# Fails the cold start when a variable this function needs is missing.
require_settings(__name__)


def item_change(record: DynamoDBRecord) -> ItemChange:
    """The committed change one stream record describes."""
    stream = record.dynamodb
    assert stream is not None
    seconds = stream.approximate_creation_date_time
    at = datetime.fromtimestamp(seconds, UTC) if seconds is not None else datetime.now(UTC)
    return ItemChange(
        change_id=record.event_id or str(stream.sequence_number),
        at=at,
        old=stream.old_image or None,
        new=stream.new_image or None,
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = list(DynamoDBStreamEvent(event).records)
    try:
        report = publish_changes([item_change(record) for record in records])
    except ChangesNotPublished as exc:
        failed = records[exc.first_failed].dynamodb
        logger.warning(
            "events not published; retrying from the first failed change", extra={"reason": str(exc)}
        )
        return {"batchItemFailures": [{"itemIdentifier": failed.sequence_number if failed else ""}]}
    logger.info("changes published", extra={"records": len(records), "events": len(report.events)})
    return {"batchItemFailures": []}


lambda_init.end()  # last: freeze what init made, collector back on
