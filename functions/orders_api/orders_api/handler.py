"""Lambda entry point of the orders API, and of the scheduled sweep of expired orders.

HTTP routes: the learner's own orders (view, cancel, pay through Stripe), the storefront's payment
confirmation and refund (machine token with the orders scope), and Stripe's signed webhook.
An EventBridge schedule invokes the same function to expire orders whose holds have ended.
"""

from __future__ import annotations

from b2b import lambda_init  # first: the rest of init runs without the cyclic GC

lambda_init.begin()

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from b2b.api.auth import require_user
from b2b.api.resolver import build_resolver
from b2b.observability import logger, metrics, tracer
from b2b.services import orders
from b2b.settings import require_settings

from orders_api import routes

# Fails the cold start when a variable this function needs is missing.
require_settings(__name__)
# Stripe signs its calls instead of bearing a token.
PUBLIC_PATHS = frozenset({"/v1/hooks/stripe"})

app = build_resolver()
# The routers this function serves (the OpenAPI document is assembled from them too).
ROUTERS = [routes.router]
for router in ROUTERS:
    app.include_router(router)


def _signed_in(app: Any, next_middleware: Any) -> Any:
    if app.current_event.path in PUBLIC_PATHS:
        return next_middleware(app)
    return require_user(app, next_middleware)


app.use([_signed_in])


def _is_schedule(event: dict[str, Any]) -> bool:
    return event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event"


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if _is_schedule(event):
        expired = orders.expire_due()
        logger.info("expired orders swept", extra={"expired": expired})
        return {"expired": expired}
    return app.resolve(event, context)


lambda_init.end()  # last: freeze what init made, collector back on
