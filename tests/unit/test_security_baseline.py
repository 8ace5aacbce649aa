"""The infrastructure baseline that the scanner cannot see for itself, checked on template.yaml."""

from __future__ import annotations

import json
import re

import pytest
from b2b_local.template import PROJECT_ROOT, read_template

TEMPLATE = read_template()
RESOURCES = TEMPLATE.raw["Resources"]
FUNCTIONS = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
# Lambda's default concurrency quota per account and region, and what must stay unreserved for the
# synchronous functions (checkout, admin, learner, webhook, login trigger).
ACCOUNT_CONCURRENCY = 1000
UNRESERVED_FLOOR = 900


def _queue_consumers() -> dict[str, dict]:
    return {
        name: function
        for name, function in FUNCTIONS.items()
        if any(e["Type"] == "SQS" for e in function["Properties"].get("Events", {}).values())
    }


@pytest.mark.parametrize("name", [n for n, r in RESOURCES.items() if r["Type"] == "AWS::SQS::Queue"])
def test_every_queue_is_encrypted_at_rest(name):
    props = RESOURCES[name]["Properties"]
    assert props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId"), name


def test_api_access_log_is_json_names_the_caller_and_never_the_token():
    settings = RESOURCES["HttpApi"]["Properties"]["AccessLogSettings"]
    group = settings["DestinationArn"]["Fn::GetAtt"][0]
    assert RESOURCES[group]["Type"] == "AWS::Logs::LogGroup"
    assert RESOURCES[group]["Properties"]["RetentionInDays"] == {"Ref": "AccessLogRetentionDays"}
    # API Gateway fills the $context variables in; with them replaced, a line is a JSON object.
    line = json.loads(re.sub(r"\$context\.[A-Za-z.]+", "x", settings["Format"]))
    assert {"requestId", "routeKey", "status", "latencyMs", "sub"} <= line.keys()
    assert "$context.authorizer.claims.sub" in settings["Format"]
    for forbidden in ("$request", "header", "authorization", "email", "path", "querystring"):
        assert forbidden not in settings["Format"].lower().replace("$context.path", ""), forbidden


def test_queue_consumers_are_capped_and_leave_the_synchronous_paths_headroom():
    consumers = _queue_consumers()
    assert consumers, "the template has queue consumers"
    reserved = 0
    for name, function in consumers.items():
        props = function["Properties"]
        parameter = props["ReservedConcurrentExecutions"]["Ref"]
        limit = int(TEMPLATE.parameter_default(parameter))
        reserved += limit
        for event in props["Events"].values():
            if event["Type"] == "SQS":
                assert event["Properties"]["ScalingConfig"]["MaximumConcurrency"] == {"Ref": parameter}, name
    assert ACCOUNT_CONCURRENCY - reserved >= UNRESERVED_FLOOR


def test_service_permissions_name_their_source_arn_and_account():
    permissions = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::Lambda::Permission"]
    assert permissions
    for permission in permissions:
        if permission["Principal"].endswith(".amazonaws.com"):
            assert "SourceArn" in permission
            assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_the_jwt_authorizer_takes_issuer_and_audience_from_stage_parameters():
    jwt = RESOURCES["HttpApi"]["Properties"]["Auth"]["Authorizers"]["JwtAuthorizer"]["JwtConfiguration"]
    assert jwt["issuer"] == {"Ref": "JwtIssuer"}
    # The audiences are the parameter's, plus the console's client when the stack creates the pool.
    condition, with_pool, without_pool = jwt["audience"]["Fn::If"]
    assert (condition, without_pool) == ("CreateUserPool", {"Ref": "JwtAudience"})
    joined = with_pool["Fn::Split"][1]["Fn::Join"][1]
    assert joined == [{"Ref": "ConsoleUserPoolClient"}, {"Fn::Join": [",", {"Ref": "JwtAudience"}]}]


def test_every_skipped_scanner_check_says_why():
    for name, resource in RESOURCES.items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), name
            assert len(skip.get("comment", "")) >= 60, f"{name} skips {skip['id']} without a reason"
    config = (PROJECT_ROOT / ".checkov.yaml").read_text().splitlines()
    in_skips = False
    for index, line in enumerate(config):
        if line.startswith("skip-check:"):
            in_skips = True
        elif in_skips and line.startswith("  - "):
            reason_lines = []
            for previous in reversed(config[:index]):
                if not previous.strip().startswith("#"):
                    break
                reason_lines.append(previous)
            assert any("# reason:" in r for r in reason_lines), f"{line.strip()} has no reason"
        elif in_skips and not line.startswith((" ", "#")):
            in_skips = False


def test_unauthenticated_routes_have_a_tighter_throttle_than_the_default():
    api = RESOURCES["HttpApi"]["Properties"]
    default = api["DefaultRouteSettings"]["ThrottlingRateLimit"]
    open_routes = [
        f"{e['Properties']['Method']} {e['Properties']['Path']}"
        for f in FUNCTIONS.values()
        for e in f["Properties"].get("Events", {}).values()
        if e["Type"] == "HttpApi" and e["Properties"].get("Auth", {}).get("Authorizer") == "NONE"
    ]
    assert open_routes
    for route in open_routes:
        assert api["RouteSettings"][route]["ThrottlingRateLimit"] < default, route
