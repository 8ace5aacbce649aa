"""Create the template's DynamoDB tables and SQS queues in a moto server, and resolve references."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

import boto3
from b2b.settings import check_environments

from b2b_local.template import TemplateModel

LOCAL_STAGE = "local"
ACCOUNT_ID = "123456789012"


@dataclass
class LocalResources:
    """Physical names of the template's resources on the local stack."""

    endpoint_url: str
    region: str
    tables: dict[str, str] = field(default_factory=dict)  # logical id → table name
    queue_urls: dict[str, str] = field(default_factory=dict)  # logical id → queue URL
    queue_arns: dict[str, str] = field(default_factory=dict)
    stream_arns: dict[str, str] = field(default_factory=dict)  # table logical id → stream ARN
    event_buses: dict[str, str] = field(default_factory=dict)  # logical id → bus name
    event_bus_arns: dict[str, str] = field(default_factory=dict)

    def resolve(self, value: Any, template: TemplateModel) -> Any:
        """Evaluate the intrinsic functions the templates's environment variables use."""
        if isinstance(value, dict) and "Fn::If" in value:
            condition, when_true, when_false = value["Fn::If"]
            return self.resolve(when_true if template.condition_holds(condition) else when_false, template)
        if isinstance(value, dict) and "Ref" in value:
            return self._ref(value["Ref"], template)
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical, attribute = value["Fn::GetAtt"]
            return self._attribute(logical, attribute)
        if isinstance(value, dict):
            raise ValueError(f"the local stack cannot evaluate {value}")
        return value

    def _ref(self, ref: str, template: TemplateModel) -> Any:
        if ref == "AWS::NoValue":
            return None
        if ref == "Stage":
            return LOCAL_STAGE
        for names in (self.tables, self.queue_urls, self.event_buses):
            if ref in names:
                return names[ref]
        default = template.parameter_default(ref)
        return "" if default is None else default

    def _attribute(self, logical: str, attribute: str) -> Any:
        if attribute == "Arn":
            if logical in self.event_bus_arns:
                return self.event_bus_arns[logical]
            return self.queue_arns.get(logical, f"arn:aws:local:::{logical}")
        if attribute == "StreamArn":
            return self.stream_arns[logical]
        if attribute == "QueueName":
            return self.queue_urls[logical].rsplit("/", 1)[-1]
        raise ValueError(f"the local stack cannot evaluate {logical}.{attribute}")


def _strip_tags(props: dict[str, Any], *unsupported: str) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in unsupported}


def _stream_argument(props: dict[str, Any]) -> dict[str, Any]:
    """``StreamSpecification`` for CreateTable when the template's table has a stream."""
    if "StreamSpecification" not in props:
        return {}
    return {"StreamSpecification": {"StreamEnabled": True, **props["StreamSpecification"]}}


def create_resources(template: TemplateModel, endpoint_url: str, region: str, prefix: str) -> LocalResources:
    """Create every table and queue of the template; names are ``<prefix>-<LogicalId>``."""
    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name=region
    )
    dynamodb = session.client("dynamodb", endpoint_url=endpoint_url)
    sqs = session.client("sqs", endpoint_url=endpoint_url)
    resources = LocalResources(endpoint_url=endpoint_url, region=region)
    _create_tables(template, dynamodb, prefix, resources)
    _create_queues(template, sqs, prefix, resources)
    _create_event_buses(template, session, endpoint_url, prefix, resources)
    return resources


def _create_tables(template: TemplateModel, dynamodb: Any, prefix: str, resources: LocalResources) -> None:
    """Each table of the template, with its indexes, TTL and stream."""
    for logical, resource in template.resources_of_type("AWS::DynamoDB::Table").items():
        props = resource["Properties"]
        name = f"{prefix}-{logical}"
        existing = dynamodb.list_tables()["TableNames"]
        if name not in existing:
            dynamodb.create_table(
                TableName=name,
                BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
                AttributeDefinitions=props["AttributeDefinitions"],
                KeySchema=props["KeySchema"],
                GlobalSecondaryIndexes=props.get("GlobalSecondaryIndexes", []),
                **_stream_argument(props),
            )
            ttl = props.get("TimeToLiveSpecification")
            if ttl:
                dynamodb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
                )
        resources.tables[logical] = name
        if "StreamSpecification" in props:
            description = dynamodb.describe_table(TableName=name)["Table"]
            resources.stream_arns[logical] = description["LatestStreamArn"]


def _create_queues(template: TemplateModel, sqs: Any, prefix: str, resources: LocalResources) -> None:
    """Each queue of the template, dead-letter queues first so redrive policies can name them."""
    queues = template.resources_of_type("AWS::SQS::Queue")
    # Dead-letter queues first, so redrive policies can name them.
    ordered = sorted(queues, key=lambda q: "RedrivePolicy" in queues[q].get("Properties", {}))
    for logical in ordered:
        props = queues[logical].get("Properties", {})
        fifo = bool(props.get("FifoQueue"))
        name = f"{prefix}-{logical}" + (".fifo" if fifo else "")
        attributes: dict[str, str] = {}
        if fifo:
            attributes["FifoQueue"] = "true"
        for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds"):
            if key in props:
                attributes[key] = str(props[key])
        if "ContentBasedDeduplication" in props:
            attributes["ContentBasedDeduplication"] = str(props["ContentBasedDeduplication"]).lower()
        redrive = props.get("RedrivePolicy")
        if redrive:
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": resources.queue_arns[target],
                    "maxReceiveCount": redrive["maxReceiveCount"],
                }
            )
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        resources.queue_urls[logical] = url
        resources.queue_arns[logical] = arn


def _create_event_buses(
    template: TemplateModel, session: Any, endpoint_url: str, prefix: str, resources: LocalResources
) -> None:
    """Each EventBridge bus of the template, and its archives (moto keeps what they capture)."""
    events = session.client("events", endpoint_url=endpoint_url)
    existing = {bus["Name"]: bus["Arn"] for bus in events.list_event_buses()["EventBuses"]}
    for logical in template.resources_of_type("AWS::Events::EventBus"):
        name = f"{prefix}-{logical}"
        arn = existing.get(name) or events.create_event_bus(Name=name)["EventBusArn"]
        resources.event_buses[logical] = name
        resources.event_bus_arns[logical] = arn
    for logical, resource in template.resources_of_type("AWS::Events::Archive").items():
        props = resource["Properties"]
        source = props["SourceArn"]["Fn::GetAtt"][0]
        name = f"{prefix}-{logical}"[:48]
        with contextlib.suppress(events.exceptions.ResourceAlreadyExistsException):
            events.create_archive(
                ArchiveName=name,
                EventSourceArn=resources.event_bus_arns[source],
                RetentionDays=int(props.get("RetentionDays", 0)),
            )


def function_environment(template: TemplateModel, resources: LocalResources, function: str) -> dict[str, str]:
    """Exactly the environment template.yaml gives ``function`` (Globals and its own variables,
    resolved), plus what Lambda's runtime would set (region, credentials) and the local endpoints."""
    spec = template.functions[function]
    resolved = {key: resources.resolve(value, template) for key, value in spec.environment.items()}
    # AWS::NoValue leaves a variable unset, as CloudFormation does.
    env = {key: str(value) for key, value in resolved.items() if value is not None}
    return env | _runtime_variables(resources)


def shared_environment(template: TemplateModel, resources: LocalResources) -> dict[str, str]:
    """The union of every function's variables, for running several functions' handlers in one
    process (the integration tests and benchmarks); the local stack itself never uses it."""
    env: dict[str, str] = {}
    for name in template.functions:
        env |= function_environment(template, resources, name)
    env["POWERTOOLS_SERVICE_NAME"] = "b2b-local"
    return env


def check_function_environments(template: TemplateModel, resources: LocalResources) -> None:
    """Refuse to start when a function's template environment lacks a variable it requires
    (:data:`b2b.settings.FUNCTION_REQUIREMENTS`), as a deployed cold start would."""
    check_environments(
        (spec.handler_module, function_environment(template, resources, name))
        for name, spec in template.functions.items()
    )


def _runtime_variables(resources: LocalResources) -> dict[str, str]:
    # No project setting here: those come from the template only, so a missing one shows up locally.
    return {
        "AWS_REGION": resources.region,
        "AWS_DEFAULT_REGION": resources.region,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_ENDPOINT_URL_DYNAMODB": resources.endpoint_url,
        "AWS_ENDPOINT_URL_SQS": resources.endpoint_url,
        "AWS_ENDPOINT_URL_EVENTBRIDGE": resources.endpoint_url,
        "AWS_ENDPOINT_URL_S3": resources.endpoint_url,
        # Tracing is on in deployed stages (template Globals: Tracing: Active); locally there is no X-Ray.
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
