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
