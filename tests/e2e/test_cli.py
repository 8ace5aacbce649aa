"""The `b2b` CLI against the local stack over real HTTP, as an operator runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from b2b_cli.main import app
from b2b_local.stack import free_port
from b2b_local.tokens import mint_token
from typer.testing import CliRunner


@pytest.fixture
def b2b(stack, tmp_path):
    """Run `b2b ARGS…` in-process with the stack's URL and an admin token in the environment."""
    env = {
        "B2B_API_URL": stack.api_url,
        "B2B_TOKEN": mint_token("e2e-operator", admin=True),
        "B2B_CONFIG": str(tmp_path / "no-config.toml"),
        "B2B_PROFILE": None,
    }

    def run(*args: str, **overrides: str | None):
        return CliRunner().invoke(app, list(args), env=env | overrides)

    return run


def _json(result):
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def test_quick_setup_create_list_and_modify(b2b, unique):
    org_name = f"CLI University {unique}"
    # Given no such organization, when the operator creates a capped non-SSO contract with --create
    contract = _json(
        b2b("contract", "create", org_name, "CLI Contract", "non-sso", "--create",
            "--max-learners", "200", "--description", "Test capped non-SSO contract", "--json")
    )  # fmt: skip
    # Then the contract exists with the code membership type and the cap
    assert contract["membership_type"] == "code"
    assert contract["max_learners"] == 200
    # And the organization and its contract are listed (by name, and by id)
    orgs = _json(b2b("list", "organizations", "--org", org_name, "--json"))
    assert [o["id"] for o in orgs] == [contract["organization_id"]]
    listed = _json(b2b("list", "contracts", "--org", str(contract["organization_id"]), "--json"))
    assert [c["id"] for c in listed] == [contract["id"]]
    # When the operator prices it, lifts the cap and sets an end date
    changed = _json(
        b2b(
            "contract",
            "modify",
            str(contract["id"]),
            "--price",
            "25",
            "--no-learner-cap",
            "--end",
            "2030-01-01",
            "--json",
        )
    )
    # Then the API stored exactly that
    assert changed["price"] == "25.00"
    assert changed["max_learners"] is None
    assert changed["end"].startswith("2030-01-01T00:00:00")
    # When it removes the price and deactivates it
    removed = _json(b2b("contract", "modify", str(contract["id"]), "--no-price", "--inactive", "--json"))
    assert removed["price"] is None
    assert removed["active"] is False
    assert removed["is_open"] is False


def test_tables_for_people(b2b, unique):
    # Given an SSO contract made for a new organization
    org_name = f"Table Org {unique}"
    created = b2b("contract", "create", org_name, "Table Contract", "sso", "--create")
    assert created.exit_code == 0, created.stderr
    assert "auto" in created.stdout
    # When the operator lists the organization's contracts without --json
    result = b2b("list", "contracts", "--org", org_name)
    # Then a table shows the contract with its type
    assert result.exit_code == 0, result.stderr
    assert "Table Contract" in result.stdout
    assert "auto" in result.stdout
    assert "1 row" in result.stdout


def test_api_errors_are_one_line_naming_the_field(b2b, unique):
    # When the cap is invalid
    bad_cap = b2b("contract", "create", f"Err Org {unique}", "C", "code", "--create", "--max-learners", "0")
    # Then the API's complaint is one line naming max_learners, and the exit code is 1
    assert bad_cap.exit_code == 1
    lines = bad_cap.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: 422 invalid_input: max_learners:")
    # When the organization does not exist and --no-create is given
    missing = b2b("contract", "create", f"Nobody {unique}", "C", "code", "--no-create")
    assert missing.exit_code == 1
    assert "404" in missing.stderr
    assert f"Nobody {unique}" in missing.stderr
    # When the contract does not exist
    unknown = b2b("contract", "modify", "9007199254740000", "--inactive")
    assert unknown.exit_code == 1
    assert "404" in unknown.stderr


def test_usage_errors_exit_2(b2b):
    assert b2b("contract", "create", "Org", "Name", "bogus-type").exit_code == 2
    assert b2b("contract", "modify", "1", "--price", "1", "--no-price").exit_code == 2
    assert b2b("list", "contracts", "--codes-out", "x.csv").exit_code == 2


def test_a_rejected_token_is_a_failure(b2b):
    result = b2b("list", "organizations", B2B_TOKEN=mint_token("e2e-learner"))
    assert result.exit_code == 1
    assert "403 admin_required" in result.stderr


def test_without_a_token_the_local_stack_gets_a_minted_one(b2b):
    # Given no B2B_TOKEN on the local stack
    result = b2b("list", "organizations", "--json", B2B_TOKEN=None)
    # Then the CLI minted an admin dev token and the API accepted it
    assert isinstance(_json(result), list)


def test_dev_token_is_accepted_by_the_stack(b2b, stack):
    token = b2b("dev", "token", "--admin", "--sub", "cli-dev").stdout.strip()
    answer = httpx.get(f"{stack.api_url}/v1/organizations", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    learner = b2b("dev", "token", "--sub", "cli-learner").stdout.strip()
    refused = httpx.get(f"{stack.api_url}/v1/organizations", headers={"Authorization": f"Bearer {learner}"})
    assert refused.status_code == 403


def test_connection_refused_tells_the_operator_to_start_the_stack(b2b):
    # Given nothing listening on the port
    url = f"http://127.0.0.1:{free_port()}"
    result = b2b("list", "contracts", B2B_API_URL=url)
    assert result.exit_code == 1
    # Then the hint starts the stack on that port (not `make run`, which listens on 3000)
    port = url.rsplit(":", 1)[1]
    assert result.stderr.strip() == (
        f"error: cannot reach the local stack at {url} (connection refused): "
        f'start it with `make run ARGS="--port {port}"`, or unset B2B_API_URL for port 3000'
    )


def test_the_console_script_is_installed(stack, tmp_path, unique):
    # Given the `b2b` script next to the interpreter (installed by `make setup`)
    script = Path(sys.executable).with_name("b2b")
    env = os.environ | {
        "B2B_API_URL": stack.api_url,
        "B2B_CONFIG": str(tmp_path / "none.toml"),
        "B2B_TOKEN": mint_token("e2e-script", admin=True),
    }
    # When run as a program
    created = subprocess.run(
        [script, "contract", "create", f"Script Org {unique}", "Script Contract", "managed", "--create", "--json"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    # Then it worked over HTTP and printed JSON
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["membership_type"] == "managed"


def test_the_seed_quick_setups_typed_as_the_seed_writes_them(b2b, stack, unique, tmp_path, monkeypatch):
    # Given a course with a SOURCE run in the catalog (the seed's prerequisite)
    monkeypatch.chdir(tmp_path)
    org, course = f"University{unique}", f"course-v1:UAI_SOURCE+{unique}"
    assert b2b("catalog", "add-course", course, "Principles of Microeconomics").exit_code == 0
    assert b2b("catalog", "add-run", f"{course}+SOURCE").exit_code == 0

    # When the SSO quick setup is typed as the seed writes it (the command name changed, and --create
    # added for the new organization, as the seed's notes on `create` ask)
    sso = _json(
        b2b(
            "contract",
            "create",
            org,
            f"{org} Contract",
            "sso",
            "--create",
            "--description",
            "Test uncapped SSO contract",
            "--json",
        )
    )
    assert b2b("list", "organizations").exit_code == 0
    listed = _json(b2b("list", "contracts", "--json"))
    assert sso["id"] in [c["id"] for c in listed]
    assert b2b("contract", "courseware", str(sso["id"]), course).exit_code == 0
    runs = _json(b2b("list", "courseware", "--contract", str(sso["id"]), "--json"))["runs"]
    # Then the contract run exists with the seed's key
    assert [r["run_id"] for r in runs] == [f"course-v1:UAI_{org.upper()}+{unique}+{runs[0]['run_tag']}"]
    assert runs[0]["run_tag"].endswith(f"_C{sso['id']}")

    # When the capped non-SSO quick setup is typed as the seed writes it
    capped = _json(
        b2b("contract", "create", org, f"{org} Contract", "non-sso", "--max-learners", "200",
            "--description", "Test capped non-SSO contract", "--json")
    )  # fmt: skip
    assert b2b("contract", "courseware", str(capped["id"]), course).exit_code == 0
    export = b2b("list", "contracts", "--codes", str(capped["id"]))
    # Then codes-<ID>.csv holds 200 codes for the product, with the documented columns
    assert export.exit_code == 0, export.stderr
    lines = (tmp_path / f"codes-{capped['id']}.csv").read_text().splitlines()
    assert lines[0] == "Code,Product,Redeemed,Product URL,Attach URL"
    assert len(lines) == 201
    assert all(line.split(",")[2] == "no" for line in lines[1:])
