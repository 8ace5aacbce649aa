"""Cold start per function: import + init against the floor and the required stack, tracing off and
on; the first request after a SnapStart init; the restore-path estimate for SnapStart functions.

Every figure is the median of ROUNDS paired rounds: each round starts one fresh process per
measurement, one after another, so all see the same machine load, and every other round runs them in
reverse order, so load that rises or falls during a round does not always favour the same ones. Each
process reports both its wall-clock time and its CPU time; targets are judged on CPU time, which a
shared machine's other work (waiting for a core) does not inflate, and which is what init takes on
Lambda's dedicated vCPU. The wall-clock ratios are shown beside them, and the machine's load average
is reported with the figures.
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
# A tree of an earlier commit (`git archive COMMIT layers functions | tar -x -C DIR`): its queue
# functions are measured too, tracing off, in the same rounds, for a before/after on one machine load.
BASELINE = os.environ.get("BENCH_COLDSTART_BASELINE", "")

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
# What every handler module does first and last (b2b.lambda_init), applied to a stack for comparison.
GC_OFF, GC_BACK = "import gc; gc.disable()", "gc.freeze(); gc.enable()"


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

# What tracing on adds to a stack: b2b.tracing's start (the SDK with the function's resource, the
# X-Ray daemon exporter with OTLP encoding, the botocore instrumentation). The functions start it
# themselves when POWERTOOLS_TRACE_DISABLED is false; functions that call out over HTTP also
# instrument their own clients (b2b.observability), which is counted as their code.
TRACING = "from b2b import tracing; tracing.start()"
# For comparison: the start AWS's OpenTelemetry layer runs before the handler (its otel-instrument
# wrapper): the auto-instrumentation (distro, configurator, SDK, OTLP exporter, propagators, the scan
# of installed instrumentations) with the layer's default list, then its Lambda handler
# instrumentation. The AWS distribution in the layer adds its own configurator and processors, so
# this is a lower bound of its cost.
LAYER_START = (
    "from opentelemetry.instrumentation.auto_instrumentation import initialize; initialize(); "
    "from opentelemetry.instrumentation.aws_lambda import AwsLambdaInstrumentor"
)
LAYER_ENV = {
    "OTEL_TRACES_EXPORTER": "otlp",
    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
    "OTEL_SERVICE_NAME": "bench",
    "OTEL_PROPAGATORS": "baggage,xray,tracecontext",
    "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "httpx,aws-lambda",
}
# The parts of starting OpenTelemetry, each timed in turn after the queue stack (httpx imported
# untimed first, so its instrumentation is timed alone): the least a traced function needs is the
# SDK, span encoding with a processor, and the botocore instrumentation.
TRACING_PARTS = {
    "SDK (API, tracer provider, resource)": "from opentelemetry import trace; "
    "from opentelemetry.sdk.resources import Resource; from opentelemetry.sdk.trace import TracerProvider; "
    "provider = TracerProvider(resource=Resource({'service.name': 'bench'})); trace.set_tracer_provider(provider)",
    "OTLP span encoding and span processor": "from opentelemetry.sdk.trace.export import SimpleSpanProcessor; "
    "from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans",
    "botocore instrumentation": "from opentelemetry.instrumentation.botocore import BotocoreInstrumentor; "
    "BotocoreInstrumentor().instrument(skip_dep_check=True)",
    "X-Ray trace header propagator": "from opentelemetry.propagators.aws import AwsXRayLambdaPropagator",
    "httpx instrumentation (one client)": "from opentelemetry.instrumentation.httpx import "
    "HTTPXClientInstrumentor; HTTPXClientInstrumentor.instrument_client(client)",
}
_PARTS_SETUP = "import httpx; client = httpx.Client()"
MINIMUM_PARTS = 3  # SDK, encoding, botocore: without any of them no DynamoDB span reaches X-Ray

# SnapStart restore: AWS documents "as low as sub-second" startup and publishes no single restore
# duration for Python; the estimate takes one second, the most that wording allows, plus what our
# after-restore hooks take (measured).
AWS_RESTORE_CEILING_S = 1.0

TARGET_OFF, TARGET_ON = 1.15, 1.3


@dataclass(frozen=True)
class Timing:
    """Seconds one fresh process took for the measured code: wall clock and CPU (user + system)."""

    wall: float
    cpu: float


def _timed_steps(setup: str, steps: list[str], env: dict[str, str]) -> list[Timing]:
    """Run ``setup`` untimed, then each step timed in turn, in one fresh process."""
    script = "; ".join(
        [
            "import json, time",
            setup or "pass",
            "timings = []",
            *(
                f"t, c = time.perf_counter(), time.process_time(); {step}; "
                "timings.append((time.perf_counter() - t, time.process_time() - c))"
                for step in steps
            ),
            "print(json.dumps(timings))",
        ]
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    return [Timing(wall, cpu) for wall, cpu in json.loads(out.stdout.strip().splitlines()[-1])]


def _cold(code: str, env: dict[str, str]) -> Timing:
    return _timed_steps("", [code], env)[0]


def _environment(cache: str, tracing: bool) -> dict[str, str]:
    env = dict(
        os.environ, PYTHONPYCACHEPREFIX=cache, POWERTOOLS_TRACE_DISABLED="false" if tracing else "true"
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("AWS_LAMBDA_INITIALIZATION_TYPE", None)
    return env


def load() -> str:
    with open("/proc/loadavg") as source:
        one, five, fifteen = source.read().split()[:3]
    return f"load average {one} / {five} / {fifteen} (1 / 5 / 15 min) on {os.cpu_count()} cores"


class Samples(dict[str, list[Timing]]):
    """Timings per measurement; medians of wall-clock or CPU seconds."""

    def wall(self, name: str) -> float:
        return median([timing.wall for timing in self[name]])

    def cpu(self, name: str) -> float:
        return median([timing.cpu for timing in self[name]])


def _jobs() -> dict[str, tuple[str, bool]]:
    """Each measurement's code and whether tracing is on, a stack next to the functions built on it."""
    jobs: dict[str, tuple[str, bool]] = {"floor": (FLOOR, False)}
    for tracing in (False, True):
        suffix = "on" if tracing else "off"
        for name, stack in STACKS.items():
            jobs[f"stack.{name}.{suffix}"] = (f"{stack}; {TRACING}" if tracing else stack, tracing)
            for function in FUNCTIONS:
                if function.stack == name:  # with tracing on, the function starts it itself
                    jobs[f"{function.key}.{suffix}"] = (function.code, tracing)
        if BASELINE:  # the same functions' code as it was, tracing off, beside the stack
            for function in FUNCTIONS:
                if not tracing and not function.snapstart:
                    jobs[f"{function.key}.baseline"] = (function.code, tracing)
    # The queue stack with init's collector handling as our handler modules do it (b2b.lambda_init)
    jobs["stack.queue.gc"] = (f"{GC_OFF}; {STACKS['queue']}; {GC_BACK}", False)
    jobs["tracing.layer"] = (LAYER_START, True)  # timed after the queue stack: see measure()
    return jobs


def _baseline_path(tree: str) -> str:
    """PYTHONPATH putting an exported tree's shared layer and functions before the installed ones."""
    root = Path(tree)
    return os.pathsep.join(
        [
            str(root / "layers" / "shared"),
            *(str(p) for p in sorted((root / "functions").iterdir()) if p.is_dir()),
        ]
    )


def measure() -> Samples:
    """Every measurement ROUNDS times, alternating within each round (every other round reversed)."""
    jobs = _jobs()
    parts = list(TRACING_PARTS)
    order = [*jobs, "tracing.parts"]
    with tempfile.TemporaryDirectory(prefix="bench-pyc-") as cache:
        envs = {tracing: _environment(cache, tracing) for tracing in (False, True)}

        def run(name: str, into: Samples) -> None:
            if name == "tracing.parts":
                setup = f"{STACKS['queue']}; {_PARTS_SETUP}"
                timings = _timed_steps(setup, list(TRACING_PARTS.values()), envs[False])
                for part, timing in zip(parts, timings, strict=True):
                    into.setdefault(part, []).append(timing)
            elif name == "tracing.layer":  # the layer's start alone, after the queue stack
                env = dict(envs[False], **LAYER_ENV)
                into.setdefault(name, []).extend(_timed_steps(STACKS["queue"], [LAYER_START], env))
            else:
                code, tracing = jobs[name]
                env = envs[tracing]
                if name.endswith(".baseline"):
                    env = dict(env, PYTHONPATH=_baseline_path(BASELINE))
                into.setdefault(name, []).append(_cold(code, env))

        for name in order:
            run(name, Samples())  # fills the bytecode cache
        samples = Samples()
        for round_number in range(ROUNDS):
            for name in order if round_number % 2 == 0 else reversed(order):
                run(name, samples)
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


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def rows_from(samples: Samples, before: str, after: str) -> list[Row]:
    floor, floor_wall = samples.cpu("floor"), samples.wall("floor")
    rows = [
        Row(
            SECTION,
            "machine load while measuring",
            f"before: {before}; after: {after}",
            note=f"{ROUNDS} paired rounds; floor (boto3 + one DynamoDB client) {_ms(floor)} CPU, "
            f"{_ms(floor_wall)} wall",
        )
    ]
    for name in STACKS:
        off, on = samples.cpu(f"stack.{name}.off"), samples.cpu(f"stack.{name}.on")
        rows.append(
            Row(
                SECTION,
                f"required stack alone ({name}) / floor",
                f"{off / floor:.2f}× off, {on / floor:.2f}× on ({_ms(off)} / {_ms(on)} CPU; wall "
                f"{_ms(samples.wall(f'stack.{name}.off'))} / {_ms(samples.wall(f'stack.{name}.on'))})",
                note="no code of ours but the tracing start; 'on' adds b2b.tracing's start (SDK, daemon "
                "exporter with OTLP encoding, botocore instrumentation)",
                key=f"coldstart.stack.{name}.ms",
                number=round(samples.wall(f"stack.{name}.off") * 1000, 1),
            )
        )
    plain, handled = samples.cpu("stack.queue.off"), samples.cpu("stack.queue.gc")
    rows.append(
        Row(
            SECTION,
            "required stack alone (queue), init without the cyclic GC as our functions run it",
            f"{handled / plain:.2f}× the plain queue stack ({_ms(handled)} vs {_ms(plain)} CPU)",
            note="collector off during init, then init's objects frozen (b2b.lambda_init); every function "
            "row below includes it, the stack rows do not: like for like, divide a function's ratio by this",
        )
    )
    for function in FUNCTIONS:
        rows += _function_rows(samples, function, floor)
        if f"{function.key}.baseline" in samples:
            rows.append(_baseline_row(samples, function))
    return rows


def _baseline_row(samples: Samples, function: Function) -> Row:
    stack = f"stack.{function.stack}.off"
    before, after = samples.cpu(f"{function.key}.baseline"), samples.cpu(f"{function.key}.off")
    wall_before, wall_after = samples.wall(f"{function.key}.baseline"), samples.wall(f"{function.key}.off")
    return Row(
        SECTION,
        f"{function.label}: tracing off, before → after",
        f"{before / samples.cpu(stack):.2f}× → {after / samples.cpu(stack):.2f}× the stack (CPU; "
        f"{_ms(before)} → {_ms(after)}); wall {wall_before / samples.wall(stack):.2f}× → "
        f"{wall_after / samples.wall(stack):.2f}×",
        note=f"before: the code of {Path(BASELINE).name} (BENCH_COLDSTART_BASELINE), measured in the same rounds",
    )


def _function_rows(samples: Samples, function: Function, floor: float) -> list[Row]:
    key, stack = function.key, f"stack.{function.stack}"
    off, on = samples.cpu(f"{key}.off"), samples.cpu(f"{key}.on")
    stack_off, stack_on = samples.cpu(f"{stack}.off"), samples.cpu(f"{stack}.on")
    wall_off, wall_on = samples.wall(f"{key}.off"), samples.wall(f"{key}.on")
    wall_stack_off, wall_stack_on = samples.wall(f"{stack}.off"), samples.wall(f"{stack}.on")
    judged = not function.snapstart
    return [
        Row(
            SECTION,
            f"{function.label}: import + init, tracing off",
            f"{off / stack_off:.2f}× the stack, {off / floor:.2f}× the floor ({_ms(off)} CPU); "
            f"wall {wall_off / wall_stack_off:.2f}× the stack ({_ms(wall_off)})",
            f"≤ {TARGET_OFF}× the stack (CPU)" if judged else "SnapStart (see restore estimate)",
            (off / stack_off <= TARGET_OFF) if judged else None,
            key=f"coldstart.{key}.off_ms",
            number=round(wall_off * 1000, 1),
        ),
        Row(
            SECTION,
            f"{function.label}: import + init, tracing on (OpenTelemetry)",
            f"{on / stack_off:.2f}× the untraced stack ({on / stack_on:.2f}× the traced one), "
            f"{on / floor:.2f}× the floor ({_ms(on)} CPU; tracing adds {_ms(on - off)}); wall "
            f"{wall_on / wall_stack_off:.2f}× the untraced stack, {wall_on / wall_stack_on:.2f}× the traced one "
            f"({_ms(wall_on)})",
            f"≤ {TARGET_ON}× the stack (CPU)" if judged else "SnapStart (see restore estimate)",
            (on / stack_off <= TARGET_ON) if judged else None,
            key=f"coldstart.{key}.on_ms",
            number=round(wall_on * 1000, 1),
        ),
    ]


def _verdict(start: float, code: float, allowed: float) -> str:
    if start + code > allowed:
        return (
            f"no: the tracing start ({start:.2f}×) and the reconciler's code ({code:.2f}×) exceed the "
            f"{allowed:.2f}× the target leaves"
        )
    return (
        f"yes: the tracing start ({start:.2f}×) and the reconciler's code ({code:.2f}×) fit within the "
        f"{allowed:.2f}× the target leaves"
    )


def tracing_rows(samples: Samples) -> list[Row]:
    """What starting OpenTelemetry costs, against the untraced queue stack (the reconciler's)."""
    stack = samples.cpu("stack.queue.off")
    rows = []
    minimum = 0.0
    for number, part in enumerate(TRACING_PARTS):
        cpu = samples.cpu(part)
        if number < MINIMUM_PARTS:
            minimum += cpu
        rows.append(
            Row(
                SECTION,
                f"starting tracing, part: {part}",
                f"{_ms(cpu)} CPU ({cpu / stack:.2f}× the queue stack), {_ms(samples.wall(part))} wall",
                note="timed in turn in one process after the queue stack, httpx already imported",
            )
        )
    ours = samples.cpu("stack.queue.on") - stack
    layer = samples.cpu("tracing.layer")
    allowed = TARGET_ON - 1
    reconciler_code = samples.cpu("reconciler.off") / stack - 1
    rows += [
        Row(
            SECTION,
            "starting tracing: the least a traced function needs (SDK + encoding + botocore)",
            f"{_ms(minimum)} CPU = {minimum / stack:.2f}× the untraced queue stack",
            note=f"sum of the first three parts (no DynamoDB span reaches X-Ray without them); of the "
            f"{TARGET_ON}× target it leaves {allowed - minimum / stack:.2f}× for our code, which takes "
            f"{reconciler_code:.2f}× in the reconciler",
        ),
        Row(
            SECTION,
            "starting tracing: b2b.tracing's start (what a traced function runs)",
            f"{_ms(ours)} CPU = {ours / stack:.2f}× the untraced queue stack",
            f"≤ {allowed:.2f}× with our code (all the {TARGET_ON}× target leaves)",
            ours / stack + reconciler_code <= allowed,
            "the traced queue stack less the untraced one, medians of the paired rounds",
        ),
        Row(
            SECTION,
            "for comparison: AWS's OpenTelemetry layer's start, emulated (auto-instrumentation, default list)",
            f"{_ms(layer)} CPU = {layer / stack:.2f}× the untraced queue stack",
            note="distro and configurator, propagators, the scan of installed packages' entry points and the "
            "instrumentations' dependency checks, the Lambda handler instrumentation; why we start our own: "
            "docs/decisions.md, 'Tracing'",
        ),
        Row(
            SECTION,
            f"tracing on: can a function without SnapStart stay within {TARGET_ON}× the untraced stack?",
            _verdict(ours / stack, reconciler_code, allowed),
            note="both ratios are in the function rows above: against the untraced stack (the target's) "
            "and against the traced one (what our code adds with tracing on)",
        ),
    ]
    return rows


def restore_rows(samples: Samples) -> list[Row]:
    rows = []
    for function in FUNCTIONS:
        if not function.snapstart:
            continue
        hooks = after_restore_seconds(function)
        init = samples.wall(f"{function.key}.on")
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
        for tracing in (False, True):
            rows.append(_first_request_row(function, request, tracing))
    return rows


def _first_request_row(function: Function, request: dict[str, object], tracing: bool) -> Row:
    # Tracing on: spans go to the default daemon address, where nothing listens (a UDP send does not
    # wait for one), as they would to Lambda's daemon.
    out = subprocess.run(
        [sys.executable, "-m", "tests.snapstart_child", "first-request", function.key, json.dumps(request)],
        cwd=ROOT,
        env=dict(os.environ, POWERTOOLS_TRACE_DISABLED="false" if tracing else "true"),
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    cpu_first, cpu_warm = result["cpu"][0], median(result["cpu"][1:])
    wall_first, wall_warm = result["wall"][0], median(result["wall"][1:])
    return Row(
        SECTION,
        f"{function.label}: first request after a primed SnapStart init / warm request, tracing "
        f"{'on' if tracing else 'off'}",
        f"{cpu_first / cpu_warm:.2f}× CPU ({cpu_first * 1000:.1f} vs {cpu_warm * 1000:.1f} ms); "
        f"{wall_first / wall_warm:.2f}× wall ({wall_first * 1000:.1f} vs {wall_warm * 1000:.1f} ms)",
        "≤ 1.5× (CPU)",
        cpu_first / cpu_warm <= 1.5,
        "in process on moto, median of 12 warm requests; wall clock also counts the new connection "
        "a restored environment opens and moto's own first-call costs"
        + ("; every request's spans encoded and sent" if tracing else ""),
    )


def run() -> list[Row]:
    start_environment()
    before = load()
    samples = measure()
    after = load()
    return (
        rows_from(samples, before, after)
        + tracing_rows(samples)
        + restore_rows(samples)
        + first_request_rows()
    )
