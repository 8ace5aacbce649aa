"""Create the template's DynamoDB tables and SQS queues in a moto server, and resolve references."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

import boto3

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
        if isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            if ref == "Stage":
                return LOCAL_STAGE
            if ref in self.tables:
                return self.tables[ref]
            if ref in self.queue_urls:
                return self.queue_urls[ref]
            if ref in self.event_buses:
                return self.event_buses[ref]
            default = template.parameter_default(ref)
            return "" if default is None else default
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical, attribute = value["Fn::GetAtt"]
            if attribute == "Arn":
                if logical in self.event_bus_arns:
                    return self.event_bus_arns[logical]
                return self.queue_arns.get(logical, f"arn:aws:local:::{logical}")
            if attribute == "StreamArn":
                return self.stream_arns[logical]
            if attribute == "QueueName":
                return self.queue_urls[logical].rsplit("/", 1)[-1]
        if isinstance(value, dict):
            raise ValueError(f"the local stack cannot evaluate {value}")
        return value


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
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]  # type: ignore[arg-type]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        resources.queue_urls[logical] = url
        resources.queue_arns[logical] = arn
    _create_event_buses(template, session, endpoint_url, prefix, resources)
    return resources


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


def function_environment(template: TemplateModel, resources: LocalResources) -> dict[str, str]:
    """The environment every function gets locally (the union of their template variables)."""
    env: dict[str, str] = {}
    for spec in template.functions.values():
        for key, value in spec.environment.items():
            if key == "POWERTOOLS_SERVICE_NAME":
                continue
            env[key] = str(resources.resolve(value, template))
    env |= {
        "STAGE": LOCAL_STAGE,
        "AWS_REGION": resources.region,
        "AWS_DEFAULT_REGION": resources.region,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_ENDPOINT_URL_DYNAMODB": resources.endpoint_url,
        "AWS_ENDPOINT_URL_SQS": resources.endpoint_url,
        "AWS_ENDPOINT_URL_EVENTBRIDGE": resources.endpoint_url,
        "AWS_ENDPOINT_URL_S3": resources.endpoint_url,
        "POWERTOOLS_SERVICE_NAME": "b2b-local",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": env.get("POWERTOOLS_METRICS_NAMESPACE", "B2BContracts"),
    }
    return env
