"""Lambda SnapStart: what runs before a snapshot and after each restore.

A SnapStart function is initialized once, when a version is published; every execution environment
that serves it afterwards resumes from that one snapshot. Whatever init made is shared by them all,
so nothing that must be unique may be made there and kept: the code generator and every id draw
from the operating system (``secrets``, ``uuid4``), which the kernel keeps unique per environment,
and what init did make (the pseudo-random state, pooled connections) is renewed by the hooks
registered here.

The hooks go through the runtime's ``snapshot_restore_py`` module when it is there (Lambda's Python
managed runtimes ship it); elsewhere (tests, the local stack) they are only recorded, and
:func:`run_after_restore` plays them, which is how a restore is simulated.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any

_before_snapshot: list[Callable[[], Any]] = []
_after_restore: list[Callable[[], Any]] = []

try:  # pragma: no cover - only Lambda's Python runtimes have it
    import snapshot_restore_py as _runtime_hooks
except ImportError:
    _runtime_hooks = None


def snapshot_init() -> bool:
    """True while Lambda initializes a SnapStart version (init is then snapshotted, not per cold start)."""
    return os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start"


def before_snapshot(hook: Callable[[], Any]) -> Callable[[], Any]:
    """Register ``hook`` to run just before Lambda takes the snapshot (decorator)."""
    _before_snapshot.append(hook)
    if _runtime_hooks is not None:  # pragma: no cover
        _runtime_hooks.register_before_snapshot(hook)
    return hook


def after_restore(hook: Callable[[], Any]) -> Callable[[], Any]:
    """Register ``hook`` to run in every environment resumed from the snapshot (decorator)."""
    _after_restore.append(hook)
    if _runtime_hooks is not None:  # pragma: no cover
        _runtime_hooks.register_after_restore(hook)
    return hook


def run_before_snapshot() -> None:
    """Play the before-snapshot hooks, in the runtime's order (reverse of registration)."""
    for hook in reversed(_before_snapshot):
        hook()


def run_after_restore() -> None:
    """Play the after-restore hooks, in the runtime's order (registration order)."""
    for hook in _after_restore:
        hook()


@after_restore
def _reseed_random() -> None:
    # The module-level generator (used by retry jitter and trace ids in libraries) was seeded once,
    # before the snapshot: every restored environment would draw the same sequence.
    random.seed()
