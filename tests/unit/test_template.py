"""template.yaml and the code agree: functions, routes, queues and the table's safety settings."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from b2b_local.resources import LocalResources, function_environment
from b2b_local.template import PROJECT_ROOT, read_template

TEMPLATE = read_template()
RESOURCES = TEMPLATE.raw["Resources"]


def test_every_function_folder_is_installed_for_tests_and_the_local_stack():
    where = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"][
        "find"
    ]["where"]
    for spec in TEMPLATE.functions.values():
        relative = spec.code_uri.relative_to(PROJECT_ROOT).as_posix().rstrip("/")
        assert relative in where, f"{relative} missing from pyproject packages.find.where"
        module, _, attribute = spec.handler.rpartition(".")
        assert (spec.code_uri / Path(*module.split("."))).with_suffix(".py").exists(), spec.handler


def test_layer_build_installs_into_python_folder_with_bytecode():
    # The layer's Makefile makes /opt/python itself; a python/ folder in the sources would nest it.
    assert not (PROJECT_ROOT / "layers/shared/python").exists()
    assert RESOURCES["SharedLayer"]["Metadata"]["BuildMethod"] == "makefile"
    recipe = (PROJECT_ROOT / "layers/shared/Makefile").read_text()
    assert "build-SharedLayer:" in recipe
    assert "$(ARTIFACTS_DIR)/python" in recipe
    assert "--platform manylinux2014_aarch64" in recipe  # the functions run on arm64
    assert "--invalidation-mode unchecked-hash" in recipe


def test_table_is_on_demand_with_pitr_and_ttl():
    props = RESOURCES["Table"]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_queues_with_consumers_have_dlqs_and_a_long_enough_visibility_timeout():
    for subscription in TEMPLATE.subscriptions:
        queue = RESOURCES[subscription.queue]["Properties"]
        assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
        timeout = TEMPLATE.functions[subscription.function].timeout
        assert int(queue["VisibilityTimeout"]) >= 6 * timeout, subscription
    reconcile = RESOURCES["ReconcileQueue"]["Properties"]
    assert reconcile["FifoQueue"] is True


def _resolver_routes(handler: str) -> set[tuple[str, str]]:
    module = importlib.import_module(handler.rpartition(".")[0])
    schema = module.app.get_openapi_schema()
    return {
        (method.upper(), path)
        for path, item in schema.paths.items()
        for method in ("get", "post", "put", "patch", "delete")
        if getattr(item, method, None) is not None
    }


@pytest.mark.parametrize(
    "function",
    [name for name, spec in TEMPLATE.functions.items() if any(r.function == name for r in TEMPLATE.routes)],
)
def test_template_routes_match_the_resolver(function):
    spec = TEMPLATE.functions[function]
    declared = {
        (r.method, re.sub(r"\{(\w+)\}", r"{\1}", r.path)) for r in TEMPLATE.routes if r.function == function
    }
    served = _resolver_routes(spec.handler)
    # The docs routes are served by the resolver outside its OpenAPI document.
    undocumented = {("GET", "/v1/docs"), ("GET", "/v1/openapi.json")}
    assert declared - undocumented == served


def test_the_api_is_throttled_and_its_cors_names_its_origins():
    api = RESOURCES["HttpApi"]["Properties"]
    assert api["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert api["Auth"]["DefaultAuthorizer"] == "JwtAuthorizer"
    # The console's CloudFront origin, then the parameter's origins: nothing else, no wildcard.
    origins = api["CorsConfiguration"]["AllowOrigins"]["Fn::Split"][1]["Fn::Join"][1]
    assert origins == [
        {"Fn::Sub": "https://${ConsoleDistribution.DomainName}"},
        {"Fn::Join": [",", {"Ref": "CorsAllowedOrigins"}]},
    ]
    assert "*" not in TEMPLATE.parameter_default("CorsAllowedOrigins")


def test_every_dead_letter_queue_and_function_has_an_alarm():
    alarms = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    watched = {str(d["Value"]) for a in alarms for d in a.get("Dimensions", [])}
    for name, resource in RESOURCES.items():
        if resource["Type"] == "AWS::SQS::Queue" and "DeadLetter" in name:
            assert str({"Fn::GetAtt": [name, "QueueName"]}) in watched, name
        if resource["Type"] == "AWS::Serverless::Function":
            assert str({"Ref": name}) in watched, name


def test_the_table_is_kept_and_protected_in_prod():
    table = RESOURCES["Table"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["Properties"]["DeletionProtectionEnabled"] == {"Fn::If": ["IsProd", True, False]}


def test_the_table_streams_both_images_to_a_bus_with_an_archive():
    assert RESOURCES["Table"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert RESOURCES["EventBus"]["Type"] == "AWS::Events::EventBus"
    archive = RESOURCES["EventArchive"]["Properties"]
    assert archive["SourceArn"] == {"Fn::GetAtt": ["EventBus", "Arn"]}
    assert archive["RetentionDays"] > 0


def test_lms_sync_failures_raise_an_alarm():
    alarm = RESOURCES["LmsSyncFailedAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("B2BContracts", "LmsSyncFailed")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "lms-sync"}]
    worker_env = RESOURCES["LmsSyncFunction"]["Properties"]["Environment"]["Variables"]
    assert worker_env["POWERTOOLS_SERVICE_NAME"] == "lms-sync"


# --- SnapStart and tracing (docs/decisions.md, "Cold start" and "Tracing") -------------------------

SNAPSTART_FUNCTIONS = {"AdminApiFunction", "CheckoutApiFunction", "LearnerApiFunction", "SsoTriggerFunction"}


def test_snapstart_is_on_exactly_where_a_person_waits():
    with_snapstart = {
        name
        for name in TEMPLATE.functions
        if RESOURCES[name]["Properties"].get("SnapStart") == {"ApplyOn": "PublishedVersions"}
    }
    assert with_snapstart == SNAPSTART_FUNCTIONS
    for name in SNAPSTART_FUNCTIONS:
        # SnapStart applies to published versions only: each is published behind an alias.
        assert RESOURCES[name]["Properties"]["AutoPublishAlias"] == "live", name
    runtime = TEMPLATE.raw["Globals"]["Function"]["Runtime"]
    assert tuple(int(p) for p in runtime.removeprefix("python").split(".")) >= (3, 12)  # SnapStart's floor


def test_the_cognito_trigger_and_its_permissions_call_the_alias():
    alias = {"Ref": "SsoTriggerFunction.Alias"}
    config = RESOURCES["UserPool"]["Properties"]["LambdaConfig"]
    assert config == {"PostAuthentication": alias, "PostConfirmation": alias}
    for permission in ("SsoTriggerInvokePermission", "SsoTriggerExternalPoolInvokePermission"):
        assert RESOURCES[permission]["Properties"]["FunctionName"] == alias, permission
    assert TEMPLATE.raw["Outputs"]["SsoTriggerFunctionArn"]["Value"] == alias


def test_routes_and_queue_sources_of_snapstart_functions_are_events_of_the_function():
    # SAM points the HTTP API integrations and event source mappings of a function with
    # AutoPublishAlias at the alias; anything wired by hand (GetAtt ...Arn) would bypass it.
    text = (PROJECT_ROOT / "template.yaml").read_text()
    for name in SNAPSTART_FUNCTIONS:
        assert f"!GetAtt {name}.Arn" not in text, name
    assert any(r.function in SNAPSTART_FUNCTIONS for r in TEMPLATE.routes)


def test_tracing_is_a_stage_parameter_started_by_the_shared_layer():
    globals_fn = TEMPLATE.raw["Globals"]["Function"]
    assert TEMPLATE.raw["Parameters"]["Tracing"]["AllowedValues"] == ["on", "off"]
    assert TEMPLATE.raw["Conditions"]["TracingOn"] == {"Fn::Equals": [{"Ref": "Tracing"}, "on"]}
    # Active tracing runs the X-Ray daemon the spans go to (b2b.tracing)
    assert globals_fn["Tracing"] == {"Fn::If": ["TracingOn", "Active", "PassThrough"]}
    variables = globals_fn["Environment"]["Variables"]
    assert variables["POWERTOOLS_TRACE_DISABLED"] == {"Fn::If": ["TracingOn", "false", "true"]}
    # No wrapper or layer of another distribution starts a second SDK before ours
    assert globals_fn["Layers"] == [{"Ref": "SharedLayer"}]
    environments = [variables] + [
        RESOURCES[name]["Properties"].get("Environment", {}).get("Variables", {})
        for name in TEMPLATE.functions
    ]
    for environment in environments:
        assert "AWS_LAMBDA_EXEC_WRAPPER" not in environment
        assert not any(key.startswith("OTEL_") for key in environment)
    for name in TEMPLATE.functions:
        assert "Layers" not in RESOURCES[name]["Properties"], name


def test_the_shared_layer_ships_what_tracing_imports():
    layer = _requirements((PROJECT_ROOT / "layers/shared/requirements.txt").read_text())
    names = {requirement.split(">")[0].split("=")[0].split("[")[0] for requirement in layer}
    assert {
        "opentelemetry-sdk",
        "opentelemetry-exporter-otlp-proto-common",
        "opentelemetry-propagator-aws-xray",
        "opentelemetry-instrumentation-botocore",
        "opentelemetry-instrumentation-httpx",
    } <= names


def _requirements(text: str) -> list[str]:
    return [line.split("#")[0].strip().lower() for line in text.splitlines() if line.split("#")[0].strip()]


def test_no_function_depends_on_the_xray_sdk():
    # The X-Ray SDK reaches end of support in February 2027; it came in through Powertools' [tracer] extra.
    layer = _requirements((PROJECT_ROOT / "layers/shared/requirements.txt").read_text())
    project = [
        d.lower()
        for d in tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    ]
    for requirement in layer + project:
        assert "aws-xray-sdk" not in requirement, requirement
        assert "[tracer]" not in requirement and "[all]" not in requirement, requirement
    for name in TEMPLATE.functions:
        for layer_ref in (
            RESOURCES[name]["Properties"].get("Layers", []) + TEMPLATE.raw["Globals"]["Function"]["Layers"]
        ):
            assert "xray" not in str(layer_ref).lower(), name
    sources = [
        *sorted((PROJECT_ROOT / "layers/shared/b2b").rglob("*.py")),
        *sorted((PROJECT_ROOT / "functions").rglob("*.py")),
    ]
    for source in sources:
        text = source.read_text()
        assert "aws_xray_sdk" not in text, source
        assert "import Tracer" not in text and "Tracer()" not in text, source


def test_importing_every_handler_with_tracing_on_loads_no_xray_sdk():
    handlers = sorted({spec.handler.rpartition(".")[0] for spec in TEMPLATE.functions.values()})
    script = "; ".join(f"import {module}" for module in handlers) + (
        "; import sys; print(sorted(m for m in sys.modules if 'xray_sdk' in m))"
    )
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "false"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"


def test_the_local_stack_runs_with_tracing_off_and_no_wrapper():
    # The template's default is tracing off; the local stack evaluates the same conditions.
    assert TEMPLATE.condition_holds("TracingOn") is False
    # Given the environments the local stack gives each function (a unit run sets no variable of
    # its own, so they are built here rather than read from this process)
    queues = TEMPLATE.resources_of_type("AWS::SQS::Queue")
    resources = LocalResources(
        endpoint_url="http://127.0.0.1:9",
        region="us-east-1",
        tables={logical: f"test-{logical}" for logical in TEMPLATE.resources_of_type("AWS::DynamoDB::Table")},
        queue_urls={logical: f"http://127.0.0.1:9/123456789012/test-{logical}" for logical in queues},
        queue_arns={logical: f"arn:aws:sqs:us-east-1:123456789012:test-{logical}" for logical in queues},
    )
    for name in TEMPLATE.functions:
        environment = function_environment(TEMPLATE, resources, name)
        # Then none starts through the OpenTelemetry wrapper, and every one has tracing off
        assert "AWS_LAMBDA_EXEC_WRAPPER" not in environment, name
        assert environment["POWERTOOLS_TRACE_DISABLED"] == "true", name


CLOUDWATCH_RETENTION_DAYS = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653}


def test_every_function_logs_to_a_group_with_the_stages_retention():
    raw = TEMPLATE.raw
    stages = raw["Parameters"]["Stage"]["AllowedValues"]
    mapping = raw["Mappings"]["StageSettings"]
    # Every stage has a retention CloudWatch accepts, and production keeps logs longest
    days = {stage: mapping[stage]["LogRetentionDays"] for stage in stages}
    assert set(days.values()) <= CLOUDWATCH_RETENTION_DAYS
    assert days["prod"] == max(days.values())
    assert set(raw["Parameters"]["LogRetentionDays"]["AllowedValues"]) == CLOUDWATCH_RETENTION_DAYS | {0}
    assert raw["Conditions"]["StageLogRetention"] == {"Fn::Equals": [{"Ref": "LogRetentionDays"}, 0]}
    for name in TEMPLATE.functions:
        # Each function names its own log group ...
        group = RESOURCES[name]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert RESOURCES[group]["Type"] == "AWS::Logs::LogGroup"
        # ... whose retention is the stage's, or the LogRetentionDays override when it is set
        retention = RESOURCES[group]["Properties"]["RetentionInDays"]
        assert retention == {
            "Fn::If": [
                "StageLogRetention",
                {"Fn::FindInMap": ["StageSettings", {"Ref": "Stage"}, "LogRetentionDays"]},
                {"Ref": "LogRetentionDays"},
            ]
        }
    # No two functions share a group, and every log group is a function's or the API's access log
    function_groups = {
        RESOURCES[name]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for name in TEMPLATE.functions
    }
    assert len(function_groups) == len(TEMPLATE.functions)
    groups = {k for k, v in RESOURCES.items() if v["Type"] == "AWS::Logs::LogGroup"}
    assert groups == function_groups | {"ApiAccessLogGroup"}


def test_every_dead_letter_queue_arn_is_an_output():
    # The runbook replays a DLQ with `aws sqs start-message-move-task --source-arn <DLQ ARN>`.
    dead_letter_queues = {
        props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for props in (r.get("Properties", {}) for r in RESOURCES.values() if r["Type"] == "AWS::SQS::Queue")
        if "RedrivePolicy" in props
    }
    outputs = TEMPLATE.raw["Outputs"]
    assert dead_letter_queues
    for queue in dead_letter_queues:
        assert outputs[f"{queue}Arn"]["Value"] == {"Fn::GetAtt": [queue, "Arn"]}


def test_samconfig_ships_no_placeholder_identity_provider():
    # A placeholder issuer deploys an API that refuses every token; sam deploy --guided asks instead.
    config = tomllib.loads((PROJECT_ROOT / "samconfig.toml").read_text())
    for env in config.values():
        if not isinstance(env, dict):
            continue
        overrides = env.get("deploy", {}).get("parameters", {}).get("parameter_overrides", [])
        assert not [o for o in overrides if o.startswith(("JwtIssuer=", "JwtAudience="))]
