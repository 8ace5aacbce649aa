"""The README's CLI session, pasted line by line into one shell against a fresh local stack.

Each `$ ` line of the session's ``console`` block runs in the same bash (so `echo $?` sees the line
before it), with `b2b` on PATH, 80 columns wide, from an empty directory. Every output line the README
shows must be in what that command printed (lines with `…` mark output left out); a command whose
shown output starts with `error:` must fail with exit code 1, every other one succeed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from b2b_local.stack import LocalStack
from b2b_local.template import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
SESSION_START = "A session against the local stack"


@dataclass
class Step:
    command: str
    shown: list[str] = field(default_factory=list)

    @property
    def expects_failure(self) -> bool:
        return any(line.startswith("error:") for line in self.shown)


def session_steps(text: str) -> list[Step]:
    """The commands of the README's CLI session and the output shown under each."""
    after = text[text.index(SESSION_START) :]
    block = after[after.index("```console\n") + len("```console\n") :]
    block = block[: block.index("\n```")]
    steps: list[Step] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append(Step(line[2:]))
        elif steps:
            steps[-1].shown.append(line.rstrip())
    return steps


@pytest.fixture
def fresh_stack(resources, unique):
    """A stack with tables of its own (ids start at 1, as on a fresh `make run`)."""
    stack = LocalStack(
        api_port=0, external_moto_url=resources.endpoint_url, prefix=f"b2b-readme-{unique}", workers=2
    )
    stack.start()
    yield stack
    stack.stop()


def test_the_readme_session_works_as_written(fresh_stack, tmp_path):
    steps = session_steps(README.read_text())
    assert len(steps) >= 10
    # The session as one shell script, each command's output and exit code fenced by markers.
    script = ["__rc=0"]
    for number, step in enumerate(steps):
        script += [f"printf '\\n@@@ {number} begin\\n'", "(exit $__rc)", step.command, "__rc=$?"]
        script += [f"printf '\\n@@@ {number} rc %d\\n' $__rc"]
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "B2B_API_URL": fresh_stack.api_url,
        "B2B_CONFIG": str(tmp_path / "no-config.toml"),
        "COLUMNS": "80",
        "LANG": "C.UTF-8",
    }
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    outputs = {
        int(found.group(1)): (found.group(2), int(found.group(3)))
        for found in re.finditer(r"@@@ (\d+) begin\n(.*?)\n@@@ \1 rc (\d+)", done.stdout, re.DOTALL)
    }
    assert sorted(outputs) == list(range(len(steps))), done.stdout
    for number, step in enumerate(steps):
        printed, code = outputs[number]
        lines = {line.rstrip() for line in printed.splitlines()}
        if step.expects_failure:
            assert code == 1, f"$ {step.command}\n{printed}"
        else:
            assert code == 0, f"$ {step.command}\n{printed}"
        for shown in step.shown:
            if shown and "…" not in shown:
                assert shown in lines, f"$ {step.command}\nREADME shows: {shown!r}\nprinted:\n{printed}"
