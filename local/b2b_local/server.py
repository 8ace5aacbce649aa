"""The HTTP API of the local stack: API Gateway HTTP API (payload v2) in front of the handlers."""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import jwt
from werkzeug.wrappers import Request, Response

from b2b_local.console import DEV_TOKEN_PATH, ConsoleFiles, dev_token_response, is_console_path
from b2b_local.invoker import Invoker
from b2b_local.template import FunctionSpec, HttpRoute
from b2b_local.tokens import authorizer_claims, verify_token

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
# Deployed, the docs sit behind the JWT authorizer (admins only); locally anyone may read them.
LOCAL_PUBLIC_PATHS = frozenset({"/v1/docs", "/v1/openapi.json"})
# Local only: `POST /_local/schedules/<name>` (admin token) runs a template schedule's function now,
# with the event EventBridge Scheduler sends; `python -m b2b_local schedule NAME` calls it.
SCHEDULES_PATH = "/_local/schedules/"
# Local only: the operators' console under /console/ and `POST /_local/dev-token` (see b2b_local.console).


def _json_response(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


class HttpApiGateway:
    """A WSGI app that routes like the template's HttpApi events and invokes the function."""

    def __init__(
        self,
        routes: list[HttpRoute],
        functions: dict[str, FunctionSpec],
        invoker: Invoker,
        schedules: dict[str, str] | None = None,
        console: ConsoleFiles | None = None,
    ) -> None:
        self._routes = [(route, route.pattern()) for route in routes]
        self._functions = functions
        self._invoker = invoker
        self._schedules = schedules or {}
        self._console = console or ConsoleFiles()

    def _match(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        for route, pattern in self._routes:
            if route.method not in {method, "ANY"}:
                continue
            found = pattern.match(path)
            if found:
                return route, found.groupdict()
        return None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status=204, headers={"Access-Control-Allow-Origin": "*"})
        local = self._local_route(request)
        if local is not None:
            return local
        matched = self._match(request.method, request.path)
        if matched is None:
            return _json_response(404, {"message": "Not Found"})
        route, path_parameters = matched
        if request.content_length and request.content_length > MAX_BODY_BYTES:
            return _json_response(413, {"message": "Request Entity Too Large"})
        claims: dict[str, str] | None = None
        if not route.public and route.path not in LOCAL_PUBLIC_PATHS:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                return _json_response(401, {"message": "Unauthorized"})
            try:
                claims = authorizer_claims(verify_token(token.strip()))
            except jwt.InvalidTokenError:
                return _json_response(401, {"message": "Unauthorized"})
        event = self._event(request, route, path_parameters, claims)
        spec = self._functions[route.function]
        try:
            result = self._invoker.invoke(spec.name, spec.handler, spec.timeout, event)
        except Exception:
            # Lambda reports an unhandled error and API Gateway answers a bare 500.
            logging.getLogger("b2b_local").exception("%s failed", spec.name)
            return _json_response(500, {"message": "Internal Server Error"})
        return self._response(result)

    def _local_route(self, request: Request) -> Response | None:
        """What only the local stack answers: schedules run now, the console and its dev token."""
        if request.method == "POST" and request.path.startswith(SCHEDULES_PATH):
            return self._run_schedule(request, request.path.removeprefix(SCHEDULES_PATH))
        if request.method == "POST" and request.path == DEV_TOKEN_PATH:
            return dev_token_response()
        if is_console_path(request.path):
            return self._console.handle(request)
        return None

    @staticmethod
    def _event(
        request: Request, route: HttpRoute, path_parameters: dict[str, str], claims: dict[str, str] | None
    ) -> dict[str, Any]:
        raw_body = request.get_data()
        headers: dict[str, str] = {}
        for key, value in request.headers.items():
            lower = key.lower()
            headers[lower] = f"{headers[lower]},{value}" if lower in headers else value
        query: dict[str, str] = {}
        for key, value in parse_qsl(request.query_string.decode(), keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        now = datetime.now(UTC)
        is_text = not raw_body or _is_text(raw_body)
        context: dict[str, Any] = {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": request.host,
            "domainPrefix": "local",
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.headers.get("User-Agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(time.time() * 1000),
        }
        if claims is not None:
            # Like the JWT authorizer: the token's space-separated ``scope`` claim as a list.
            scopes = claims.get("scope", "").split() or None
            context["authorizer"] = {"jwt": {"claims": claims, "scopes": scopes}}
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": request.path,
            "rawQueryString": request.query_string.decode(),
            "headers": headers,
            "requestContext": context,
            "isBase64Encoded": not is_text,
        }
        if query:
            event["queryStringParameters"] = query
        if path_parameters:
            event["pathParameters"] = path_parameters
        if raw_body:
            event["body"] = raw_body.decode() if is_text else base64.b64encode(raw_body).decode()
        cookies = request.headers.get("Cookie")
        if cookies:
            event["cookies"] = [c.strip() for c in cookies.split(";")]
        return event

    def _run_schedule(self, request: Request, name: str) -> Response:
        function = self._schedules.get(name)
        if function is None:
            return _json_response(404, {"message": f"no schedule {name} in template.yaml"})
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        try:
            claims = authorizer_claims(verify_token(token.strip())) if scheme.lower() == "bearer" else {}
        except jwt.InvalidTokenError:
            claims = {}
        if "admin" not in str(claims.get("cognito:groups", "")):
            return _json_response(401, {"message": "Unauthorized"})
        spec = self._functions[function]
        event = {"schedule": name, "time": datetime.now(UTC).isoformat(), "source": "b2b-local"}
        try:
            result = self._invoker.invoke(spec.name, spec.handler, spec.timeout, event)
        except Exception:
            logging.getLogger("b2b_local").exception("%s failed", spec.name)
            return _json_response(500, {"message": f"{spec.name} failed"})
        return _json_response(200, {"schedule": name, "function": spec.name, "result": result})

    @staticmethod
    def _response(result: Any) -> Response:
        if not isinstance(result, dict) or "statusCode" not in result:
            # HTTP API payload v2 treats a bare value as a 200 JSON body.
            return _json_response(200, result)
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        response = Response(data, status=int(result["statusCode"]))
        for key, value in (result.get("headers") or {}).items():
            response.headers[key] = str(value)
        for key, values in (result.get("multiValueHeaders") or {}).items():
            for value in values:
                response.headers.add(key, str(value))
        for cookie in result.get("cookies") or []:
            response.headers.add("Set-Cookie", cookie)
        return response


def _is_text(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True
