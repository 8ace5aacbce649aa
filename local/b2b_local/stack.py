"""Starts and stops the whole local stack; used by `make run` and by the end-to-end tests."""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.server import ThreadedMotoServer
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from b2b_local import moto_isolation
from b2b_local.invoker import Invoker
from b2b_local.persistence import LocalData, Restored
from b2b_local.poller import QueuePoller
from b2b_local.resources import LocalResources, create_resources, function_environment
from b2b_local.server import HttpApiGateway
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
    # Quiet functions: warnings and errors only, no metric documents on stdout (`make run` without
    # --verbose); otherwise they log as the template says.
    quiet: bool = False
    # Where to keep the data between runs (None: in memory only); only with the stack's own moto server.
    data_dir: Path | None = None
    template: TemplateModel = field(default_factory=read_template)

    def __post_init__(self) -> None:
        self.moto_port = self.moto_port or free_port()
        self._moto: ThreadedMotoServer | None = None
        self._http: BaseWSGIServer | None = None
        self._invoker: Invoker | None = None
        self.poller: QueuePoller | None = None
        self.resources: LocalResources | None = None
        self.environment: dict[str, str] = {}
        self.data: LocalData | None = None
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
        self.environment = function_environment(self.template, self.resources)
        if self.quiet:
            self.environment["POWERTOOLS_LOG_LEVEL"] = "WARNING"
            self.environment["POWERTOOLS_METRICS_DISABLED"] = "true"
        code_paths = sorted({str(spec.code_uri) for spec in self.template.functions.values()})
        self._invoker = Invoker(code_paths, self.environment, self.workers)
        gateway = HttpApiGateway(self.template.routes, self.template.functions, self._invoker)
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
        return self

    def stop(self) -> None:
        if self._http:
            self._http.shutdown()
        if self.poller:
            self.poller.stop()
        if self._invoker:
            self._invoker.shutdown()
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
