"""template.yaml and the code agree: functions, routes, queues and the table's safety settings."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest
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
    assert api["CorsConfiguration"]["AllowOrigins"] == {"Ref": "CorsAllowedOrigins"}
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
