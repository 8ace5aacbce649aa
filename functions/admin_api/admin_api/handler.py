"""Lambda entry point of the admin API: wires Powertools and the routers, nothing else."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from b2b.api.auth import prime_admin_claims, require_admin
from b2b.api.resolver import build_resolver, prime, prime_event
from b2b.observability import logger, metrics, tracer
from b2b.snapstart import snapshot_init

from admin_api import (
    catalog,
    codes,
    contracts,
    courseware,
    default_enrollments,
    learners,
    organizations,
    system,
)

app = build_resolver()
app.include_router(system.router)
app.include_router(organizations.router)
app.include_router(contracts.router)
app.include_router(catalog.router)
app.include_router(courseware.router)
app.include_router(codes.router)
app.include_router(learners.router)
app.include_router(default_enrollments.router)
app.use([require_admin(system.PUBLIC_PATHS)])
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
