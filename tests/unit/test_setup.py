"""Setting up: the Python 3.13 the Makefile finds, and dev tokens from `make token`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest
from b2b_local.__main__ import main as local_main
from b2b_local.template import PROJECT_ROOT
from b2b_local.tokens import verify_token

FIND_PYTHON = PROJECT_ROOT / "scripts" / "find-python"
TOOLS = ("bash", "env", "grep", "ls", "sort", "cat", "make", "rm", "printf")


@pytest.fixture
def bare_path(tmp_path):
    """A PATH holding the shell tools the Makefile and the script use, and no Python at all."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    return bin_dir


def test_without_python_313_make_run_stops_at_once_naming_what_to_install(bare_path, tmp_path):
    # Given a PATH with no Python 3.13 (no pyenv, no uv) and no virtual environment yet
    env = {"PATH": str(bare_path), "HOME": str(tmp_path)}
    started = time.monotonic()
    # When `make run` is started
    done = subprocess.run(
        ["make", "-C", str(PROJECT_ROOT), f"VENV={tmp_path / 'venv'}", "run"],
        env=env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    # Then it fails within 5 s, saying what to install
    assert done.returncode != 0
    assert time.monotonic() - started < 5
    assert "needs Python 3.13" in done.stderr
    for way in ("uv python install 3.13", "pyenv install 3.13", "PYTHON=/path/to/python3.13"):
        assert way in done.stderr
    assert not (tmp_path / "venv").exists()


@pytest.mark.skipif(sys.version_info[:2] != (3, 13), reason="needs the project's Python 3.13")
def test_an_inherited_pyenv_version_does_not_hide_python_313(bare_path, tmp_path):
    # Given a python3.13 on PATH, and a parent process that pinned pyenv to another version
    (bare_path / "python3.13").symlink_to(sys.executable)
    env = {"PATH": str(bare_path), "HOME": str(tmp_path), "PYENV_VERSION": "3.11.7"}
    # When the script looks for a Python 3.13
    done = subprocess.run(
        [str(FIND_PYTHON)], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    # Then it finds that one
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(bare_path / "python3.13")


@pytest.mark.parametrize(
    ("args", "sub", "groups"),
    [([], "dev-user", []), (["--admin"], "dev-admin", ["admin"]), (["--sub", "learner-1"], "learner-1", [])],
)
def test_make_token_names_admins_only_when_they_are(capsys, args, sub, groups):
    assert local_main(["token", *args]) == 0
    claims = verify_token(capsys.readouterr().out.strip())
    assert (claims["sub"], claims["cognito:groups"]) == (sub, groups)
