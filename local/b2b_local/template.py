"""Reading template.yaml: CloudFormation tags, resources, HTTP routes and SQS subscriptions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that keeps CloudFormation short-form tags as ``{"Ref": x}`` / ``{"Fn::X": y}``."""


def _construct_tag(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """Parse a SAM/CloudFormation template, keeping intrinsic functions as dicts."""
    with path.open() as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    return document


@dataclass(frozen=True)
class HttpRoute:
    function: str
    method: str
    path: str
    public: bool

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def pattern(self) -> re.Pattern[str]:
        """A regex for the path template; ``{name}`` matches one segment, ``{name+}`` the rest."""
        regex = ""
        for part in re.split(r"(\{[^}]+\})", self.path):
            if part.startswith("{") and part.endswith("+}"):
                regex += f"(?P<{part[1:-2]}>.+)"
            elif part.startswith("{"):
                regex += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                regex += re.escape(part)
        return re.compile(f"^{regex}$")


@dataclass(frozen=True)
class QueueSubscription:
    function: str
    queue: str  # logical id of the queue
    batch_size: int
    report_failures: bool


@dataclass(frozen=True)
class StreamSubscription:
    function: str
    table: str  # logical id of the table
    batch_size: int
    filters: tuple[str, ...]  # JSON patterns of FilterCriteria (any one passes)
    report_failures: bool


@dataclass
class FunctionSpec:
    name: str
    code_uri: Path
    handler: str
    environment: dict[str, Any] = field(default_factory=dict)
    timeout: int = 3

    @property
    def handler_module(self) -> str:
        """The module holding the handler, e.g. ``admin_api.handler``."""
        return self.handler.rsplit(".", 1)[0]


@dataclass
class TemplateModel:
    raw: dict[str, Any]
    functions: dict[str, FunctionSpec]
    routes: list[HttpRoute]
    subscriptions: list[QueueSubscription]
    # EventBridge Scheduler schedules (logical id) → the function each one invokes.
    schedules: dict[str, str] = field(default_factory=dict)
    streams: list[StreamSubscription] = field(default_factory=list)

    def resources_of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.raw["Resources"].items() if v["Type"] == kind}

    def parameter_default(self, name: str) -> Any:
        return self.raw.get("Parameters", {}).get(name, {}).get("Default")

    def condition_holds(self, name: str) -> bool:
        """A template condition, evaluated with every parameter at its default."""
        return bool(self._evaluate(self.raw.get("Conditions", {})[name]))

    def _evaluate(self, value: Any) -> Any:
        if isinstance(value, dict) and "Ref" in value:
            return self.parameter_default(value["Ref"])
        if isinstance(value, dict) and "Condition" in value:
            return self.condition_holds(value["Condition"])
        if isinstance(value, dict) and len(value) == 1:
            ((function, arguments),) = value.items()
            values = [self._evaluate(argument) for argument in arguments]
            if function == "Fn::Equals":
                return values[0] == values[1]
            if function == "Fn::Not":
                return not values[0]
            if function == "Fn::And":
                return all(values)
            if function == "Fn::Or":
                return any(values)
            raise ValueError(f"the local stack cannot evaluate {value}")
        return value


def read_template(path: Path = TEMPLATE_PATH) -> TemplateModel:
    """The parts of template.yaml the local stack needs."""
    raw = load_template(path)
    globals_fn = raw.get("Globals", {}).get("Function", {})
    global_env = globals_fn.get("Environment", {}).get("Variables", {})
    functions: dict[str, FunctionSpec] = {}
    routes: list[HttpRoute] = []
    subscriptions: list[QueueSubscription] = []
    streams: list[StreamSubscription] = []
    for name, resource in raw["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        env = dict(global_env) | props.get("Environment", {}).get("Variables", {})
        functions[name] = FunctionSpec(
            name=name,
            code_uri=(path.parent / props["CodeUri"]).resolve(),
            handler=props["Handler"],
            environment=env,
            timeout=int(props.get("Timeout", globals_fn.get("Timeout", 3))),
        )
        for event in props.get("Events", {}).values():
            event_props = event.get("Properties", {})
            if event["Type"] == "HttpApi":
                auth = event_props.get("Auth", {})
                routes.append(
                    HttpRoute(
                        function=name,
                        method=event_props["Method"].upper(),
                        path=event_props["Path"],
                        public=auth.get("Authorizer") == "NONE",
                    )
                )
            elif event["Type"] == "SQS":
                queue_ref = event_props["Queue"]
                subscriptions.append(
                    QueueSubscription(
                        function=name,
                        queue=queue_ref["Fn::GetAtt"][0],
                        batch_size=int(event_props.get("BatchSize", 10)),
                        report_failures="ReportBatchItemFailures"
                        in event_props.get("FunctionResponseTypes", []),
                    )
                )
            elif event["Type"] == "DynamoDB":
                filters = event_props.get("FilterCriteria", {}).get("Filters", [])
                streams.append(
                    StreamSubscription(
                        function=name,
                        table=event_props["Stream"]["Fn::GetAtt"][0],
                        batch_size=int(event_props.get("BatchSize", 100)),
                        filters=tuple(f["Pattern"] for f in filters),
                        report_failures="ReportBatchItemFailures"
                        in event_props.get("FunctionResponseTypes", []),
                    )
                )
    schedules = {
        name: resource["Properties"]["Target"]["Arn"]["Fn::GetAtt"][0]
        for name, resource in raw["Resources"].items()
        if resource["Type"] == "AWS::Scheduler::Schedule"
    }
    return TemplateModel(
        raw=raw,
        functions=functions,
        routes=routes,
        subscriptions=subscriptions,
        schedules=schedules,
        streams=streams,
    )
