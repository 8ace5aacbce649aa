"""Lambda entry point of the admin API: wires Powertools and the routers, nothing else."""

from __future__ import annotations

from b2b import lambda_init  # first: the rest of init runs without the cyclic GC

lambda_init.begin()

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from b2b.api.auth import prime_admin_claims, require_admin
from b2b.api.resolver import build_resolver, prime, prime_event
from b2b.observability import logger, metrics, tracer
from b2b.settings import require_settings
from b2b.snapstart import snapshot_init

from admin_api import (
    catalog,
    codes,
    contracts,
    courseware,
    default_enrollments,
    learners,
    lms_sync,
    orders,
    organizations,
    system,
)

# Fails the cold start when a variable this function needs is missing.
require_settings(__name__)
# The admin role is checked before any body is read or validated.
app = build_resolver(gates=[require_admin(system.PUBLIC_PATHS)])
# The routes this function serves (the OpenAPI document is assembled from the same list).
ROUTERS = [
    system.router,
    organizations.router,
    contracts.router,
    catalog.router,
    courseware.router,
    codes.router,
    learners.router,
    default_enrollments.router,
    orders.router,
    lms_sync.router,
]
for router in ROUTERS:
    app.include_router(router)
system.enable_docs(app)


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
        claims=prime_admin_claims(),
        extra=[prime_event("POST", "/v1/contracts", claims=prime_admin_claims(), body="{}")],
    )


lambda_init.end()  # last: freeze what init made, collector back on
