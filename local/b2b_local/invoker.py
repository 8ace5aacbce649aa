"""Runs handlers the way Lambda does: each in a worker process that imports it once and serves
one event at a time, so module-level state behaves as in a real execution environment."""

from __future__ import annotations

import importlib
import multiprocessing
import sys
import time
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

_handlers: dict[str, Any] = {}


@dataclass
class LocalContext:
    """The parts of the Lambda context object that Powertools and the handlers read."""

    function_name: str
    timeout_seconds: int
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"

    def __post_init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _worker_init(code_paths: list[str], environment: dict[str, str]) -> None:
    # Like a Lambda execution environment: the function's variables, its code on the path.
    import os  # noqa: PLC0415
    import signal  # noqa: PLC0415

    # Ctrl-C reaches the whole process group: the stack stops its workers itself, in order, rather
    # than each worker dying of KeyboardInterrupt with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(environment)
    for path in code_paths:
        if path not in sys.path:
            sys.path.insert(0, path)


def _invoke(function_name: str, handler: str, timeout: int, event: dict[str, Any]) -> Any:
    if handler not in _handlers:
        module_name, attribute = handler.rsplit(".", 1)
        _handlers[handler] = getattr(importlib.import_module(module_name), attribute)
    return _handlers[handler](event, LocalContext(function_name, timeout))


class Invoker:
    """A pool of worker processes, shared by every function of the template."""

    def __init__(self, code_paths: list[str], environment: dict[str, str], workers: int) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(code_paths, environment),
        )

    def submit(self, function_name: str, handler: str, timeout: int, event: dict[str, Any]) -> Future[Any]:
        return self._pool.submit(_invoke, function_name, handler, timeout, event)

    def invoke(self, function_name: str, handler: str, timeout: int, event: dict[str, Any]) -> Any:
        return self.submit(function_name, handler, timeout, event).result()

    def shutdown(self, grace_seconds: float = 20.0) -> None:
        """Stop the workers: queued invocations are cancelled, running ones get ``grace_seconds``
        to finish, then their processes are ended (a stop must never hang on a stuck handler)."""
        # The pool's own list of processes: shutdown(wait=True) has no time limit.
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + grace_seconds
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(5)
