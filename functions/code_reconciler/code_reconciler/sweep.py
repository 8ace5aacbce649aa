"""Lambda entry point of the scheduled code drift sweep (EventBridge Scheduler, hourly).

Locally: `python -m b2b_local schedule CodeDriftSweepSchedule` runs it on the running local stack.
"""

from __future__ import annotations

from b2b import lambda_init  # first: the rest of init runs without the cyclic GC

lambda_init.begin()

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from b2b.observability import logger, metrics, tracer
from b2b.services import code_repair
from b2b.settings import require_settings

# Fails the cold start when a variable this function needs is missing.
require_settings(__name__)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcome = code_repair.sweep(time_left=lambda: context.get_remaining_time_in_millis() / 1000)
    logger.info(
        "code drift sweep done",
        extra={
            "checked": outcome.checked,
            "drifting": outcome.drifting,
            "persisted": outcome.persisted,
            "healed": outcome.healed,
            "finished": outcome.finished,
        },
    )
    return {
        "checked": outcome.checked,
        "drifting": outcome.drifting,
        "persisted": outcome.persisted,
        "healed": outcome.healed,
        "finished": outcome.finished,
    }


lambda_init.end()  # last: freeze what init made, collector back on
