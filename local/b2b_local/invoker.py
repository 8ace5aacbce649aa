"""Runs handlers the way Lambda does: each function in its own worker processes, which start with
exactly that function's environment and code, import the handler once and serve one event at a time,
so module-level state and configuration behave as in a real execution environment."""

from __future__ import annotations

import importlib
import multiprocessing
import sys
import threading
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


def _worker_init(
    code_paths: list[str], environment: dict[str, str], foreign: frozenset[str], log_file: str | None = None
) -> None:
    # Like a Lambda execution environment: the function's variables and no other function's (a
    # spawned process inherits the parent's environment, which may hold them), its code on the path.
    import os  # noqa: PLC0415
    import signal  # noqa: PLC0415

    # Ctrl-C reaches the whole process group: the stack stops its workers itself, in order, rather
    # than each worker dying of KeyboardInterrupt with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if log_file is not None:
        # What a function prints (its structured log lines) also goes to the file, as Lambda sends
        # stdout to CloudWatch Logs; appends of whole lines from several workers do not interleave.
        sys.stdout.flush()
        descriptor = os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(descriptor, 1)
        os.close(descriptor)
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 - the process's stdout
    for name in foreign - environment.keys():
        os.environ.pop(name, None)
    os.environ.update(environment)
    for path in code_paths:
        if path not in sys.path:
            sys.path.insert(0, path)


def _invoke(function_name: str, handler: str, timeout: int, event: dict[str, Any]) -> Any:
    if handler not in _handlers:
        module_name, attribute = handler.rsplit(".", 1)
        _handlers[handler] = getattr(importlib.import_module(module_name), attribute)
    return _handlers[handler](event, LocalContext(function_name, timeout))


@dataclass(frozen=True)
class FunctionRuntime:
    """What one function's execution environments start with: its code folder and its variables."""

    code_paths: list[str]
    environment: dict[str, str]


class Invoker:
    """One pool of worker processes per function (started on its first event), like Lambda's
    execution environments: functions never share a process, so none sees another's variables."""

    def __init__(
        self, runtimes: dict[str, FunctionRuntime], workers: int, log_file: str | None = None
    ) -> None:
        self._runtimes = runtimes
        self._log_file = log_file
        self._every_variable = frozenset(k for r in runtimes.values() for k in r.environment)
        self._workers = workers
        self._pools: dict[str, ProcessPoolExecutor] = {}
        self._lock = threading.Lock()

    def _pool(self, function_name: str) -> ProcessPoolExecutor:
        with self._lock:
            pool = self._pools.get(function_name)
            if pool is None:
                runtime = self._runtimes[function_name]
                pool = ProcessPoolExecutor(
                    max_workers=self._workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_worker_init,
                    initargs=(runtime.code_paths, runtime.environment, self._every_variable, self._log_file),
                )
                self._pools[function_name] = pool
            return pool

    def submit(self, function_name: str, handler: str, timeout: int, event: dict[str, Any]) -> Future[Any]:
        return self._pool(function_name).submit(_invoke, function_name, handler, timeout, event)

    def invoke(self, function_name: str, handler: str, timeout: int, event: dict[str, Any]) -> Any:
        return self.submit(function_name, handler, timeout, event).result()

    def shutdown(self, grace_seconds: float = 20.0) -> None:
        """Stop the workers: queued invocations are cancelled, running ones get ``grace_seconds``
        to finish, then their processes are ended (a stop must never hang on a stuck handler)."""
        with self._lock:
            pools = list(self._pools.values())
            self._pools.clear()
        # The pools' own lists of processes: shutdown(wait=True) has no time limit.
        processes = [p for pool in pools for p in (getattr(pool, "_processes", None) or {}).values()]
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + grace_seconds
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(5)
