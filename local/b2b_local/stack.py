"""Starts and stops the whole local stack; used by `make run` and by the end-to-end tests."""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from moto.server import ThreadedMotoServer
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from b2b_local import moto_isolation
from b2b_local.console import CONSOLE_DIST, ConsoleFiles
from b2b_local.fake_keycloak import FakeKeycloak, start_fake_keycloak
from b2b_local.invoker import FunctionRuntime, Invoker
from b2b_local.persistence import LocalData, Restored
from b2b_local.poller import QueuePoller
from b2b_local.resources import (
    LocalResources,
    check_function_environments,
    create_resources,
    function_environment,
)
from b2b_local.server import HttpApiGateway
from b2b_local.stream_poller import StreamPoller
from b2b_local.template import TemplateModel, read_template

HOST = "127.0.0.1"
REQUEST_LOG = logging.getLogger("b2b_local.requests")


class _ApiRequestHandler(WSGIRequestHandler):
    """One line per API request on the ``b2b_local.requests`` logger (shown with ``--verbose``)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        REQUEST_LOG.info("%s %s", code, self.requestline)

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error":
            logging.getLogger("b2b_local").error(message, *args)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalStack:
    """moto server + resources from template.yaml + HTTP API + queue poller, all on 127.0.0.1."""

    api_port: int = 3000
    moto_port: int = 0
    # An already running moto server to use instead of starting one (the test suite shares its own).
    external_moto_url: str | None = None
    workers: int = 4
    region: str = "us-east-1"
    prefix: str = "b2b-local"
    retry_delay: int = 1
    # A file that receives every function's log lines (as CloudWatch Logs would), or None.
    log_file: str | None = None
    # Settings added to every function's environment (e.g. the fake LMS's URL and credentials).
    extra_environment: dict[str, str] = field(default_factory=dict)
    # Quiet functions: warnings and errors only, no metric documents on stdout (`make run` without
    # --verbose); otherwise they log as the template says.
    quiet: bool = False
    # Where to keep the data between runs (None: in memory only); only with the stack's own moto server.
    data_dir: Path | None = None
    template: TemplateModel = field(default_factory=read_template)
    # Variables set on every function over the template's (e.g. a short ORDER_HOLD_SECONDS in tests).
    environment_overrides: dict[str, str] = field(default_factory=dict)
    # The built console served under /console/ (`make console` writes console/dist).
    console_dist: Path = CONSOLE_DIST

    def __post_init__(self) -> None:
        self.moto_port = self.moto_port or free_port()
        self._moto: ThreadedMotoServer | None = None
        self._http: BaseWSGIServer | None = None
        self._invoker: Invoker | None = None
        self.poller: QueuePoller | None = None
        self.stream_poller: StreamPoller | None = None
        self.resources: LocalResources | None = None
        # Each function's environment, exactly as template.yaml gives it (plus local endpoints).
        self.environments: dict[str, dict[str, str]] = {}
        # A fake Keycloak (token and organization endpoints) unless the template points elsewhere.
        self.keycloak: FakeKeycloak | None = None
        self._keycloak_server: ThreadingHTTPServer | None = None
        self.data: LocalData | None = None
        # What /console/ serves; tests may point its ``dist`` at a build of their own.
        self.console = ConsoleFiles(self.console_dist)
        self.restored = Restored(items=0, messages=0)

    @property
    def moto_url(self) -> str:
        return self.external_moto_url or f"http://{HOST}:{self.moto_port}"

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    def start(self) -> LocalStack:
        if self.external_moto_url is None:
            moto_isolation.apply()
            self._moto = ThreadedMotoServer(ip_address=HOST, port=self.moto_port, verbose=False)
            self._moto.start()
        self.resources = create_resources(self.template, self.moto_url, self.region, self.prefix)
        if self.data_dir is not None:
            if self.external_moto_url is not None:
                raise ValueError("data_dir keeps the stack's own moto server's data, not an external one's")
            self.data = LocalData(self.data_dir, self.resources)
            self.restored = self.data.restore()
            self.data.start_autosave(moto_isolation.write_count)
        check_function_environments(self.template, self.resources)
        self.environments = {
            name: function_environment(self.template, self.resources, name)
            | self.environment_overrides
            | self.extra_environment
            for name in self.template.functions
        }
        if self.quiet:
            for env in self.environments.values():
                env["POWERTOOLS_LOG_LEVEL"] = "WARNING"
                env["POWERTOOLS_METRICS_DISABLED"] = "true"
        self._start_fake_keycloak()
        self._invoker = Invoker(
            {
                name: FunctionRuntime([str(spec.code_uri)], self.environments[name])
                for name, spec in self.template.functions.items()
            },
            self.workers,
            self.log_file,
        )
        gateway = HttpApiGateway(
            self.template.routes,
            self.template.functions,
            self._invoker,
            self.template.schedules,
            self.console,
        )
        self._http = make_server(
            HOST, self.api_port, gateway, threaded=True, request_handler=_ApiRequestHandler
        )
        self.api_port = self._http.server_port
        threading.Thread(target=self._http.serve_forever, daemon=True, name="http-api").start()
        self.poller = QueuePoller(
            self.template.subscriptions,
            self.template.functions,
            self.resources,
            self._invoker,
            self.retry_delay,
        )
        self.poller.start()
        self.stream_poller = StreamPoller(
            self.template.streams,
            self.template.functions,
            self.resources,
            self._invoker,
            retry_delay=self.retry_delay,
        )
        self.stream_poller.start()
        return self

    def _start_fake_keycloak(self) -> None:
        """A fake Keycloak (token and organization endpoints) for the functions that talk to one,
        unless the template already names a Keycloak for them."""
        wants = [env for env in self.environments.values() if "KEYCLOAK_URL" in env]
        if not wants or any(env["KEYCLOAK_URL"] for env in wants):
            return
        self.keycloak, self._keycloak_server = start_fake_keycloak(HOST)
        for env in wants:
            env |= {
                "KEYCLOAK_URL": self.keycloak.url,
                "KEYCLOAK_REALM": self.keycloak.realm,
                "KEYCLOAK_CLIENT_ID": self.keycloak.client_id,
                "KEYCLOAK_CLIENT_SECRET": self.keycloak.client_secret,
            }

    def stop(self) -> None:
        if self.stream_poller:
            self.stream_poller.stop()
        if self.poller:
            self.poller.stop()
        if self._http:
            self._http.shutdown()
        if self._invoker:
            self._invoker.shutdown()
        if self._keycloak_server:
            self._keycloak_server.shutdown()
            self._keycloak_server.server_close()
        if self.data is not None:
            # Nothing runs any more: what the tables and queues hold now is what the next run starts with.
            self.data.stop_autosave()
            self.data.save_tables()
            self.data.save_queues()
        if self._moto:
            self._moto.stop()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
