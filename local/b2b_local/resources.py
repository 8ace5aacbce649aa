"""Create the template's DynamoDB tables and SQS queues in a moto server, and resolve references."""

from __future__ import annotations

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

    def resolve(self, value: Any, template: TemplateModel) -> Any:
        """Evaluate the intrinsic functions the templates's environment variables use."""
        if isinstance(value, dict) and "Fn::If" in value:
            condition, when_true, when_false = value["Fn::If"]
            return self.resolve(when_true if template.condition_holds(condition) else when_false, template)
        if isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            if ref == "AWS::NoValue":
                return None
            if ref == "Stage":
                return LOCAL_STAGE
            if ref in self.tables:
                return self.tables[ref]
            if ref in self.queue_urls:
                return self.queue_urls[ref]
            default = template.parameter_default(ref)
            return "" if default is None else default
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical, attribute = value["Fn::GetAtt"]
            if attribute == "Arn":
                return self.queue_arns.get(logical, f"arn:aws:local:::{logical}")
            if attribute == "QueueName":
                return self.queue_urls[logical].rsplit("/", 1)[-1]
        if isinstance(value, dict):
            raise ValueError(f"the local stack cannot evaluate {value}")
        return value


def _strip_tags(props: dict[str, Any], *unsupported: str) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in unsupported}


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
            )
            ttl = props.get("TimeToLiveSpecification")
            if ttl:
                dynamodb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
                )
        resources.tables[logical] = name

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
    return resources


def function_environment(template: TemplateModel, resources: LocalResources) -> dict[str, str]:
    """The environment every function gets locally (the union of their template variables)."""
    env: dict[str, str] = {}
    for spec in template.functions.values():
        for key, value in spec.environment.items():
            if key == "POWERTOOLS_SERVICE_NAME":
                continue
            resolved = resources.resolve(value, template)
            if resolved is not None:  # AWS::NoValue: the variable is not set
                env[key] = str(resolved)
    env |= {
        "STAGE": LOCAL_STAGE,
        "AWS_REGION": resources.region,
        "AWS_DEFAULT_REGION": resources.region,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_ENDPOINT_URL_DYNAMODB": resources.endpoint_url,
        "AWS_ENDPOINT_URL_SQS": resources.endpoint_url,
        "AWS_ENDPOINT_URL_S3": resources.endpoint_url,
        "POWERTOOLS_SERVICE_NAME": "b2b-local",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": env.get("POWERTOOLS_METRICS_NAMESPACE", "B2BContracts"),
    }
    return env
