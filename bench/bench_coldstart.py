"""Cold start per function: import + init against the floor and the required stack, tracing off and
on; the first request after a SnapStart init; the restore-path estimate for SnapStart functions.

Every figure is the median of ROUNDS paired rounds: each round starts one fresh process per
measurement, one after another, so all see the same machine load. The machine's load average is
reported with the figures (other work on a shared machine slows fresh processes unevenly).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.harness import Row, median, start_environment

ROOT = Path(__file__).resolve().parents[1]
SECTION = "Cold start per function (issue 17)"
ROUNDS = int(os.environ.get("BENCH_COLDSTART_ROUNDS", "15"))  # fewer only for a quick look

FLOOR = "import boto3; boto3.client('dynamodb', region_name='us-east-1')"
_LOGGING = (
    "from aws_lambda_powertools import Logger, Metrics; Logger(); Metrics(namespace='bench'); import pydantic"
)
_DYNAMODB = "from pynamodb.connection import Connection; Connection(region='us-east-1').client"
# What each kind of function needs before any code of ours: Logger, Metrics, pydantic and a
# PynamoDB client, plus the HTTP resolver with validation (APIs), the batch processor (queues),
# httpx (the cloner) or the Cognito event classes (the trigger).
STACKS = {
    "api": f"{_LOGGING}; from aws_lambda_powertools.event_handler import APIGatewayHttpResolver; "
    f"APIGatewayHttpResolver(enable_validation=True); {_DYNAMODB}",
    "queue": f"{_LOGGING}; from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType; "
    f"BatchProcessor(event_type=EventType.SQS); {_DYNAMODB}",
    "queue+http": f"{_LOGGING}; from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType; "
    f"BatchProcessor(event_type=EventType.SQS); import httpx; {_DYNAMODB}",
    "trigger": f"{_LOGGING}; from aws_lambda_powertools.utilities.data_classes import cognito_user_pool_event; "
    f"{_DYNAMODB}",
}
_CLIENT = "from b2b.db.table import dynamodb_client; dynamodb_client()"


@dataclass(frozen=True)
class Function:
    key: str
    label: str
    module: str
    stack: str
    snapstart: bool

    @property
    def code(self) -> str:
        return f"import {self.module}; {_CLIENT}"


FUNCTIONS = [
    Function("admin", "admin API", "admin_api.handler", "api", True),
    Function("checkout", "checkout API", "checkout_api.handler", "api", True),
    Function("learner", "learner API", "learner_api.handler", "api", True),
    Function("sso", "SSO trigger", "sso_trigger.handler", "trigger", True),
    Function("reconciler", "code reconciler", "code_reconciler.handler", "queue", False),
    Function("cloner", "courseware cloner", "courseware_cloner.handler", "queue+http", False),
]

# What the OpenTelemetry layer does before the handler is imported (its /opt/otel-instrument
# wrapper): the SDK with an OTLP exporter and every installed instrumentation (botocore, httpx,
# the Lambda handler). The AWS distribution in the layer loads more instrumentations, so this is
# a lower bound of its cost.
TRACING = "from opentelemetry.instrumentation.auto_instrumentation import initialize; initialize()"
TRACING_ENV = {
    "OTEL_TRACES_EXPORTER": "otlp",
    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
    "OTEL_SERVICE_NAME": "bench",
}

# SnapStart restore: AWS documents "as low as sub-second" startup and publishes no single restore
# duration for Python; the estimate takes one second, the most that wording allows, plus what our
# after-restore hooks take (measured).
AWS_RESTORE_CEILING_S = 1.0

TARGET_OFF, TARGET_ON = 1.15, 1.3


def _cold(code: str, env: dict[str, str]) -> float:
    script = f"import time; t=time.perf_counter(); {code}; print(time.perf_counter()-t)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _environment(cache: str, tracing: bool) -> dict[str, str]:
    env = dict(
        os.environ, PYTHONPYCACHEPREFIX=cache, POWERTOOLS_TRACE_DISABLED="false" if tracing else "true"
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("AWS_LAMBDA_INITIALIZATION_TYPE", None)
    if tracing:
        env |= TRACING_ENV
    return env


def load() -> str:
    with open("/proc/loadavg") as source:
        one, five, fifteen = source.read().split()[:3]
    return f"load average {one} / {five} / {fifteen} (1 / 5 / 15 min) on {os.cpu_count()} cores"


def measure() -> dict[str, list[float]]:
    """Seconds of every measurement, ROUNDS each, alternating within each round."""
    jobs: dict[str, tuple[str, bool]] = {"floor": (FLOOR, False)}
    for tracing in (False, True):
        suffix = "on" if tracing else "off"
        prefix = f"{TRACING}; " if tracing else ""
        for name, stack in STACKS.items():
            jobs[f"stack.{name}.{suffix}"] = (prefix + stack, tracing)
        for function in FUNCTIONS:
            jobs[f"{function.key}.{suffix}"] = (prefix + function.code, tracing)
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    with tempfile.TemporaryDirectory(prefix="bench-pyc-") as cache:
        envs = {tracing: _environment(cache, tracing) for tracing in (False, True)}
        for code, tracing in jobs.values():
            _cold(code, envs[tracing])  # fills the bytecode cache
        for _ in range(ROUNDS):
            for name, (code, tracing) in jobs.items():
                samples[name].append(_cold(code, envs[tracing]))
    return samples


def after_restore_seconds(function: Function) -> float:
    """What the after-restore hooks take in an initialized (primed) process."""
    script = (
        "import os, time; os.environ['AWS_LAMBDA_INITIALIZATION_TYPE'] = 'snap-start'; "
        f"import {function.module}; from b2b import snapstart; snapstart.run_before_snapshot(); "
        "t = time.perf_counter(); snapstart.run_after_restore(); print(time.perf_counter() - t)"
    )
    env = dict(os.environ, POWERTOOLS_TRACE_DISABLED="true")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def rows_from(samples: dict[str, list[float]], before: str, after: str) -> list[Row]:
    floor = median(samples["floor"])
    rows = [
        Row(
            SECTION,
            "machine load while measuring",
            f"before: {before}; after: {after}",
            note=f"{ROUNDS} paired rounds; floor (boto3 + one DynamoDB client) {floor * 1000:.0f} ms",
        )
    ]
    for name in STACKS:
        off, on = median(samples[f"stack.{name}.off"]), median(samples[f"stack.{name}.on"])
        rows.append(
            Row(
                SECTION,
                f"required stack alone ({name}) / floor",
                f"{off / floor:.2f}× off, {on / floor:.2f}× on ({off * 1000:.0f} / {on * 1000:.0f} ms)",
                note="no code of ours; 'on' adds the OpenTelemetry SDK and instrumentations",
                key=f"coldstart.stack.{name}.ms",
                number=round(off * 1000, 1),
            )
        )
    for function in FUNCTIONS:
        off, on = median(samples[f"{function.key}.off"]), median(samples[f"{function.key}.on"])
        stack_off, stack_on = (
            median(samples[f"stack.{function.stack}.off"]),
            median(samples[f"stack.{function.stack}.on"]),
        )
        judged = not function.snapstart
        rows.append(
            Row(
                SECTION,
                f"{function.label}: import + init, tracing off",
                f"{off / stack_off:.2f}× the stack, {off / floor:.2f}× the floor ({off * 1000:.0f} ms)",
                f"≤ {TARGET_OFF}× the stack" if judged else "SnapStart (see restore estimate)",
                (off / stack_off <= TARGET_OFF) if judged else None,
                key=f"coldstart.{function.key}.off_ms",
                number=round(off * 1000, 1),
            )
        )
        rows.append(
            Row(
                SECTION,
                f"{function.label}: import + init, tracing on (OpenTelemetry)",
                f"{on / stack_off:.2f}× the untraced stack ({on / stack_on:.2f}× the traced one), "
                f"{on / floor:.2f}× the floor ({on * 1000:.0f} ms; tracing adds {(on - off) * 1000:.0f} ms)",
                f"≤ {TARGET_ON}× the stack" if judged else "SnapStart (see restore estimate)",
                (on / stack_off <= TARGET_ON) if judged else None,
                key=f"coldstart.{function.key}.on_ms",
                number=round(on * 1000, 1),
            )
        )
    return rows


def restore_rows(samples: dict[str, list[float]]) -> list[Row]:
    rows = []
    for function in FUNCTIONS:
        if not function.snapstart:
            continue
        hooks = after_restore_seconds(function)
        init = median(samples[f"{function.key}.on"])
        estimate = AWS_RESTORE_CEILING_S + hooks
        rows.append(
            Row(
                SECTION,
                f"{function.label}: SnapStart restore path (estimate)",
                f"≤ {estimate * 1000:.0f} ms instead of {init * 1000:.0f} ms of import + init (tracing on) "
                "plus the runtime's own start",
                "",
                None,
                f"estimate: AWS's 'as low as sub-second' restore taken at its {AWS_RESTORE_CEILING_S:.0f} s "
                f"ceiling, plus our after-restore hooks ({hooks * 1000:.1f} ms measured)",
                key=f"coldstart.{function.key}.restore_hooks_ms",
                number=round(hooks * 1000, 2),
            )
        )
    return rows


def first_request_rows() -> list[Row]:
    """The first request after a primed init against warm ones (tests/snapstart_child.py)."""
    from tests import builders

    unique = os.urandom(4).hex().upper()
    org = builders.organization(unique, sso_organization_id=f"sso-{unique}")
    contract = builders.contract(org)
    product = builders.product(contract)
    code = builders.code(product)
    request = {
        "user_id": f"bench-{unique}",
        "contract_id": contract.id,
        "product_id": product.id,
        "code": code,
        "sso_org_id": f"no-such-org-{unique}",
    }
    from b2b.services import sso

    sso.login_within_budget(request["user_id"], [request["sso_org_id"]], 2.0)
    rows = []
    for function in FUNCTIONS:
        if not function.snapstart:
            continue
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.snapstart_child",
                "first-request",
                function.key,
                json.dumps(request),
            ],
            cwd=ROOT,
            env=dict(os.environ, POWERTOOLS_TRACE_DISABLED="true"),
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        cpu_first, cpu_warm = result["cpu"][0], median(result["cpu"][1:])
        wall_first, wall_warm = result["wall"][0], median(result["wall"][1:])
        rows.append(
            Row(
                SECTION,
                f"{function.label}: first request after a primed SnapStart init / warm request",
                f"{cpu_first / cpu_warm:.2f}× CPU ({cpu_first * 1000:.1f} vs {cpu_warm * 1000:.1f} ms); "
                f"{wall_first / wall_warm:.2f}× wall ({wall_first * 1000:.1f} vs {wall_warm * 1000:.1f} ms)",
                "≤ 1.5× (CPU)",
                cpu_first / cpu_warm <= 1.5,
                "in process on moto, median of 12 warm requests; wall clock also counts the new connection "
                "a restored environment opens and moto's own first-call costs",
            )
        )
    return rows


def run() -> list[Row]:
    start_environment()
    before = load()
    samples = measure()
    after = load()
    return rows_from(samples, before, after) + restore_rows(samples) + first_request_rows()
