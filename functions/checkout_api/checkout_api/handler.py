"""Lambda entry point of the checkout API: wires Powertools and the routers, nothing else."""

from __future__ import annotations

from b2b import lambda_init  # first: the rest of init runs without the cyclic GC

lambda_init.begin()

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from b2b.api.auth import PRIME_LEARNER, require_user
from b2b.api.resolver import build_resolver, prime, prime_event
from b2b.api.sso_claims import sync_sso_claims
from b2b.observability import logger, metrics, tracer
from b2b.settings import require_settings
from b2b.snapstart import snapshot_init

from checkout_api import baskets, codes

# Fails the cold start when a variable this function needs is missing.
require_settings(__name__)
app = build_resolver(gates=[require_user])
# The routes this function serves (the OpenAPI document is assembled from the same list).
ROUTERS = [baskets.router, codes.router]
for router in ROUTERS:
    app.include_router(router)
# A Keycloak token's organization claim attaches the learner on any learner call (see sso_claims).
app.use([sync_sso_claims])


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


if snapshot_init():
    # Init is snapshotted once per version: build there what a first request would (see prime).
    prime(
        lambda_handler,
        app,
        claims=PRIME_LEARNER,
        extra=[
            prime_event("POST", "/v1/checkout/validate", claims=PRIME_LEARNER, body='{"product_ids": [1]}')
        ],
    )


lambda_init.end()  # last: freeze what init made, collector back on
