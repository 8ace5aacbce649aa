"""A function's execution environment as SnapStart makes it, in a process of its own.

``python -m tests.snapstart_child first-request KIND REQUEST_JSON`` imports the function's handler
with ``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`` (so init primes, as when a version is
published), plays the before-snapshot and after-restore hooks, then times the first request of
``KIND`` and twelve more of the same kind, and prints the seconds as JSON: wall clock, and the
process's CPU time (the function's own work, without waiting on moto or the network).

``python -m tests.snapstart_child restored-copies CONTRACT_ID`` initializes the code reconciler and
the checkout function, then forks twice after init, as two environments restored from one snapshot;
each copy runs the after-restore hooks and draws codes, change ids and random numbers, and the
parent prints what each copy drew.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from tests.factories import generate_api_gw_event, generate_context

WARM_REQUESTS = 12


def _handler_and_event(kind: str, request: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    if kind == "checkout":
        from checkout_api.handler import lambda_handler

        body = {"product_ids": [request["product_id"]], "code": request["code"]}
        return lambda_handler, generate_api_gw_event(
            "POST", "/v1/checkout/validate", body, claims={"sub": request["user_id"]}
        )
    if kind == "learner":
        from learner_api.handler import lambda_handler

        return lambda_handler, generate_api_gw_event(
            "GET", "/v1/me/contracts", claims={"sub": request["user_id"]}
        )
    if kind == "admin":
        from admin_api.handler import lambda_handler

        path = f"/v1/contracts/{request['contract_id']}"
        claims = {"sub": "admin-1", "cognito:groups": "[admin]"}
        return lambda_handler, generate_api_gw_event("GET", path, claims=claims)
    if kind == "sso":
        from sso_trigger.handler import lambda_handler

        with open(
            os.path.join(os.path.dirname(__file__), "..", "events", "cognito_post_authentication.json")
        ) as f:
            event = json.load(f)
        event["request"]["userAttributes"]["sub"] = request["user_id"]
        event["request"]["userAttributes"]["custom:sso_org_id"] = request["sso_org_id"]
        return lambda_handler, event
    raise SystemExit(f"unknown kind {kind}")


def first_request(kind: str, request: dict[str, Any]) -> None:
    os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"
    handler, event = _handler_and_event(kind, request)  # init, primed
    from b2b import snapstart

    snapstart.run_before_snapshot()
    snapstart.run_after_restore()
    wall, cpu, statuses = [], [], []
    for _ in range(1 + WARM_REQUESTS):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = handler(dict(event), generate_context())
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
        statuses.append(response.get("statusCode") if isinstance(response, dict) else None)
    print(json.dumps({"wall": wall, "cpu": cpu, "statuses": statuses}))


def _span_ids(count: int) -> dict[str, list[int]]:
    """Trace and span ids of new root spans (tracing on: OpenTelemetry's SDK draws them)."""
    from opentelemetry import trace

    tracer = trace.get_tracer("restored-copy")
    contexts = [tracer.start_span("drawn").get_span_context() for _ in range(count)]
    return {"trace_ids": [c.trace_id for c in contexts], "span_ids": [c.span_id for c in contexts]}


def _drop_the_sdks_fork_hook() -> None:
    """A restore runs no at-fork hook; OpenTelemetry's SDK registers one, so the forks here would run it.

    It renews the provider's resource on a thread pool, which deadlocks in a fork of this process
    (priming left threads behind). The registered hook holds the method only weakly: replacing it on
    the class lets the original go, and the hook then does nothing, as a restore would.
    """
    sdk = sys.modules.get("opentelemetry.sdk.trace")
    if sdk is not None:
        sdk.TracerProvider._handle_fork = lambda self: None


def restored_copies(contract_id: str) -> None:
    os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"
    import random

    import checkout_api.handler  # noqa: F401 - init of a SnapStart function
    import code_reconciler.handler  # noqa: F401
    from b2b import snapstart
    from b2b.domain.code_format import generate_code
    from b2b.queues import ReconcileRequest

    snapstart.run_before_snapshot()
    _drop_the_sdks_fork_hook()
    # What a careless init would keep: a generator seeded before the snapshot. The after-restore
    # hook reseeds the module-level one, which is what library code (retry jitter, span ids) uses.
    random.seed(1234)
    snapshot_state = random.getstate()
    readers = []
    for _ in range(2):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # a restored copy
            os.close(read_end)
            # fork reseeds the module-level generator in the child; a restore does not, so the
            # copy starts from the snapshot's state as a restored environment would.
            random.setstate(snapshot_state)
            unhooked = random.Random()
            unhooked.setstate(snapshot_state)
            try:
                snapstart.run_after_restore()
                drawn = {
                    "codes": [generate_code() for _ in range(500)],
                    "change_ids": [
                        ReconcileRequest(contract_id=int(contract_id), reason="manual").change_id
                        for _ in range(200)
                    ],
                    **_span_ids(200),
                    "random": [random.getrandbits(64) for _ in range(50)],
                    "random_without_hook": [unhooked.getrandbits(64) for _ in range(50)],
                }
                with os.fdopen(write_end, "w") as out:
                    json.dump(drawn, out)
            finally:
                os._exit(0)
        os.close(write_end)
        readers.append((pid, read_end))
    copies = []
    for pid, read_end in readers:
        with os.fdopen(read_end) as source:
            copies.append(json.load(source))
        os.waitpid(pid, 0)
    print(json.dumps(copies))


if __name__ == "__main__":
    if sys.argv[1] == "first-request":
        first_request(sys.argv[2], json.loads(sys.argv[3]))
    else:
        restored_copies(sys.argv[2])
