"""Where the `b2b` CLI sends requests, with which token, and what it says when nobody answers."""

from __future__ import annotations

import httpx
import pytest
from b2b_cli.config import LOCAL_API_URL, ConfigError, resolve_target
from b2b_cli.main import app
from b2b_cli.session import Session
from b2b_local.tokens import verify_token
from typer.testing import CliRunner

CONFIG = """
default_profile = "staging"

[profiles.staging]
api_url = "https://api.staging.example.org/"
token = "staging-token"

[profiles.prod]
api_url = "https://api.example.org"
"""


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    return path


def test_local_stack_is_the_default(tmp_path):
    # Given no environment and no config file
    target = resolve_target(environ={"B2B_CONFIG": str(tmp_path / "missing.toml")})
    # Then the CLI talks to the local stack with no token configured
    assert target.api_url == LOCAL_API_URL
    assert target.token is None
    assert target.is_local


def test_default_profile_then_named_profile_then_environment(config_file):
    env = {"B2B_CONFIG": str(config_file)}
    # The file's default profile applies when nothing else is given
    staging = resolve_target(environ=env)
    assert (staging.api_url, staging.token, staging.profile) == (
        "https://api.staging.example.org",
        "staging-token",
        "staging",
    )
    assert not staging.is_local
    # A profile named by B2B_PROFILE (or --profile) wins over the default
    prod = resolve_target(environ=env | {"B2B_PROFILE": "prod"})
    assert (prod.api_url, prod.token) == ("https://api.example.org", None)
    # B2B_API_URL and B2B_TOKEN win over any profile; the --api-url option over everything
    env_target = resolve_target(environ=env | {"B2B_API_URL": "http://127.0.0.1:3999", "B2B_TOKEN": "t"})
    assert (env_target.api_url, env_target.token) == ("http://127.0.0.1:3999", "t")
    option = resolve_target(api_url="http://localhost:4000", environ=env | {"B2B_API_URL": "http://x"})
    assert option.api_url == "http://localhost:4000"


def test_unknown_profile_and_bad_files_are_config_errors(config_file, tmp_path):
    with pytest.raises(ConfigError, match="profile 'qa' is not in"):
        resolve_target(profile="qa", environ={"B2B_CONFIG": str(config_file)})
    broken = tmp_path / "broken.toml"
    broken.write_text("[profiles\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        resolve_target(environ={"B2B_CONFIG": str(broken)})
    with pytest.raises(ConfigError, match="must start with http"):
        resolve_target(api_url="ftp://x", environ={"B2B_CONFIG": str(config_file)})


def _run(environ, *args, handler=None):
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if handler is not None:
            return handler(request)
        return httpx.Response(200, json={"items": [], "next_cursor": None})

    session = Session(transport=httpx.MockTransport(answer), environ=environ)
    return CliRunner().invoke(app, list(args), obj=session), seen


def test_local_stack_without_a_token_gets_a_minted_admin_token(tmp_path):
    # Given the local stack and no token configured
    environ = {"B2B_CONFIG": str(tmp_path / "none.toml")}
    # When a command runs
    result, seen = _run(environ, "list", "contracts", "--json")
    # Then it sent an admin dev token the local stack accepts
    assert result.exit_code == 0, result.output
    token = seen[0].headers["Authorization"].removeprefix("Bearer ")
    assert "admin" in verify_token(token)["cognito:groups"]
    assert str(seen[0].url).startswith(LOCAL_API_URL)


def test_deployed_stage_without_a_token_is_a_usage_error(config_file):
    # Given the prod profile, which has no token
    result, seen = _run({"B2B_CONFIG": str(config_file)}, "--profile", "prod", "list", "contracts")
    # Then nothing is sent and the operator is told what to set
    assert result.exit_code == 2
    assert seen == []
    assert "no token for https://api.example.org: set B2B_TOKEN" in result.stderr


def test_profile_token_and_url_are_used(config_file):
    result, seen = _run({"B2B_CONFIG": str(config_file)}, "list", "organizations", "--json")
    assert result.exit_code == 0, result.output
    assert seen[0].headers["Authorization"] == "Bearer staging-token"
    assert str(seen[0].url).startswith("https://api.staging.example.org/v1/organizations")


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def test_connection_refused_on_the_local_stack_says_make_run(tmp_path):
    result, _ = _run({"B2B_CONFIG": str(tmp_path / "none.toml")}, "list", "contracts", handler=_refused)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: cannot reach the local stack at http://127.0.0.1:3000 (connection refused): "
        "start it with `make run`"
    )


def test_connection_refused_elsewhere_points_at_the_url(config_file):
    result, _ = _run({"B2B_CONFIG": str(config_file)}, "stats", "4", handler=_refused)
    assert result.exit_code == 1
    assert "cannot reach https://api.staging.example.org (connection refused)" in result.stderr


def test_dev_token_only_for_the_local_stack(config_file, tmp_path):
    # On the local stack it prints a token with the claims asked for
    local, _ = _run(
        {"B2B_CONFIG": str(tmp_path / "none.toml")},
        "dev",
        "token",
        "--admin",
        "--sub",
        "ops-1",
        "--org",
        "org-uuid",
    )
    assert local.exit_code == 0, local.output
    claims = verify_token(local.stdout.strip())
    assert claims["sub"] == "ops-1"
    assert claims["cognito:groups"] == ["admin"]
    assert claims["organization"] == {"org-uuid": {"id": "org-uuid"}}
    # Pointed at a deployed stage it refuses
    deployed, _ = _run({"B2B_CONFIG": str(config_file)}, "dev", "token")
    assert deployed.exit_code == 2
    assert "only work on the local stack" in deployed.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["contract", "create"], ["contract", "modify"], ["contract", "show"], ["contract", "courseware"],
        ["list", "organizations"], ["list", "contracts"], ["list", "courseware"], ["list", "learners"],
        ["catalog", "add-course"], ["catalog", "add-run"], ["catalog", "add-program"],
        ["learners", "add"], ["learners", "remove"], ["stats"], ["codes", "health"], ["dev", "token"],
    ],
)  # fmt: skip
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout
