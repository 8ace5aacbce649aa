"""Every function's policy names the actions and resources it uses: no wildcards."""

from __future__ import annotations

import pytest
from b2b_local.template import read_template

TEMPLATE = read_template()
FUNCTIONS = {
    name: resource["Properties"]
    for name, resource in TEMPLATE.raw["Resources"].items()
    if resource["Type"] == "AWS::Serverless::Function"
}
# SAM policy templates scoped to one named resource.
NARROW_TEMPLATES = {"SQSSendMessagePolicy", "SQSPollerPolicy", "SSMParameterReadPolicy"}
# Actions AWS only grants on "*".
STAR_ONLY_ACTIONS = {"cloudwatch:PutMetricData", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def _as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_no_wildcard_actions_or_resources(function):
    for policy in _as_list(FUNCTIONS[function].get("Policies", [])):
        assert isinstance(policy, dict), f"{function}: managed policy {policy!r} is too broad"
        if "Statement" not in policy:
            (template_name,) = policy.keys()
            assert template_name in NARROW_TEMPLATES, f"{function}: {template_name} grants more than needed"
            continue
        for statement in _as_list(policy["Statement"]):
            actions = _as_list(statement["Action"])
            for action in actions:
                assert "*" not in action, f"{function}: wildcard action {action}"
            for resource in _as_list(statement["Resource"]):
                text = str(resource)
                if text == "*":
                    assert set(actions) <= STAR_ONLY_ACTIONS, f"{function}: '*' resource for {actions}"
                else:
                    assert "/*" not in text and ":*" not in text, f"{function}: wildcard resource {text}"


def _statements(function: str) -> list[dict]:
    return [
        statement
        for policy in _as_list(FUNCTIONS[function].get("Policies", []))
        if "Statement" in policy
        for statement in _as_list(policy["Statement"])
    ]


def _templates(function: str) -> list[dict]:
    return [p for p in _as_list(FUNCTIONS[function].get("Policies", [])) if "Statement" not in p]


def test_the_event_publisher_only_puts_events_on_its_bus_and_queues_lms_syncs():
    # Given the stream-triggered publisher
    statements = _statements("EventPublisherFunction")
    # Then it reads no item and puts events on the one bus only
    assert [(_as_list(s["Action"]), s["Resource"]) for s in statements] == [
        (["events:PutEvents"], {"Fn::GetAtt": ["EventBus", "Arn"]})
    ]
    assert _templates("EventPublisherFunction") == [
        {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["LmsSyncQueue", "QueueName"]}}}
    ]
    # And it reads the table's stream through a filtered mapping with an on-failure destination
    (source,) = FUNCTIONS["EventPublisherFunction"]["Events"].values()
    props = source["Properties"]
    assert source["Type"] == "DynamoDB"
    assert props["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert props["FilterCriteria"]["Filters"]
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["EventPublisherDeadLetterQueue", "Arn"]
    }


def test_the_lms_sync_worker_reads_and_updates_single_items_and_polls_its_queue():
    table, secret = _statements("LmsSyncFunction")
    assert sorted(_as_list(table["Action"])) == [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
    assert table["Resource"] == {"Fn::GetAtt": ["Table", "Arn"]}
    # It reads its Open edX client secret, and no other
    assert _as_list(secret["Action"]) == ["secretsmanager:GetSecretValue"]
    assert secret["Resource"] == {"Ref": "OpenEdxClientSecret"}
    assert _templates("LmsSyncFunction") == [
        {"SQSPollerPolicy": {"QueueName": {"Fn::GetAtt": ["LmsSyncQueue", "QueueName"]}}}
    ]


def test_only_the_publisher_may_put_events_and_only_it_and_the_admin_api_queue_lms_syncs():
    putters = {f for f in FUNCTIONS for s in _statements(f) if "events:PutEvents" in _as_list(s["Action"])}
    assert putters == {"EventPublisherFunction"}
    senders = {
        f
        for f in FUNCTIONS
        for t in _templates(f)
        if t.get("SQSSendMessagePolicy", {}).get("QueueName") == {"Fn::GetAtt": ["LmsSyncQueue", "QueueName"]}
    }
    assert senders == {"EventPublisherFunction", "AdminApiFunction"}
