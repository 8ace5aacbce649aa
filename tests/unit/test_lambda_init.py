"""Every function's init runs without the cyclic GC and ends with what it made frozen (b2b.lambda_init)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys

from b2b import lambda_init
from b2b_local.template import PROJECT_ROOT, read_template

HANDLER_MODULES = sorted({spec.handler.rpartition(".")[0] for spec in read_template().functions.values()})


def test_each_handler_module_turns_the_collector_back_on_and_freezes_its_init() -> None:
    # Given a fresh process, When each function's handler module is imported in turn (its init)
    script = f"""
import gc, importlib, json
seen = []
for module in {HANDLER_MODULES!r}:
    before = gc.get_freeze_count()
    importlib.import_module(module)
    seen.append([module, gc.isenabled(), gc.get_freeze_count() - before])
print(json.dumps(seen))
"""
    env = dict(os.environ, STAGE="local", POWERTOOLS_TRACE_DISABLED="true")
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert [module for module, _, _ in seen] == HANDLER_MODULES
    for module, enabled, frozen in seen:
        # Then the collector is on again after its init, and what the init made is frozen
        assert enabled, module
        assert frozen > 0, module
    # And the first init, which loads the shared stack, froze the bulk of it
    assert seen[0][2] > 20_000, seen[0]


def test_nested_inits_freeze_once_at_the_outermost_end() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    try:
        lambda_init.begin()
        lambda_init.begin()  # a handler module importing another
        lambda_init.end()
        assert not gc.isenabled() and gc.get_freeze_count() == frozen
        lambda_init.end()
        assert gc.isenabled() and gc.get_freeze_count() >= frozen
        lambda_init.end()  # an unmatched end changes nothing
        assert gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


def test_a_process_that_ran_with_the_collector_off_keeps_it_off() -> None:
    gc.disable()
    try:
        lambda_init.begin()
        lambda_init.end()
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
