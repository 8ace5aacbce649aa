"""The seed's operator workflows, done with `b2b` alone against the local stack over real HTTP.

Each test types the commands an operator types (the seed's quick setups, with `b2b contract` for
`b2b_contract` and `b2b list` for `b2b_list`) and checks the outcome through the API, not through
the CLI's own echo.
"""

from __future__ import annotations

import csv
import json
import re

import boto3
import pytest
from b2b_cli.main import app
from b2b_local.tokens import mint_token
from typer.testing import CliRunner

from tests.e2e.conftest import learner_headers


@pytest.fixture
def b2b(stack, tmp_path, monkeypatch):
    """`b2b ARGS…` in-process, in a scratch directory, with the stack's URL, 80 columns wide."""
    monkeypatch.chdir(tmp_path)
    env = {
        "B2B_API_URL": stack.api_url,
        "B2B_TOKEN": mint_token("e2e-workflows", admin=True),
        "B2B_CONFIG": str(tmp_path / "no-config.toml"),
        "B2B_PROFILE": None,
        "COLUMNS": "80",
    }

    def run(*args: str, **overrides: str | None):
        return CliRunner().invoke(app, list(args), env=env | overrides)

    return run


def ok(result):
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def as_json(result):
    return json.loads(ok(result).stdout)


@pytest.fixture
def course(b2b, unique):
    """A catalog course with a SOURCE run: the seed's prerequisite for both quick setups."""
    course_id = f"course-v1:UAI_SOURCE+W{unique}"
    ok(b2b("catalog", "add-course", course_id, "Principles of Microeconomics"))
    ok(b2b("catalog", "add-run", f"{course_id}+SOURCE"))
    return course_id


def test_sso_quick_setup_then_a_learner_signs_in(b2b, http, course, unique):
    org = f"UniversityS{unique}"
    # When the operator creates the SSO contract for a new organization, as the seed does
    created = b2b("contract", "create", org, f"{org} Contract", "sso", "--create",
                  "--description", "Test uncapped SSO contract", "--json")  # fmt: skip
    contract = as_json(created)
    # Then the CLI warns that the organization has no SSO id yet and says how to set it
    assert "has no SSO organization id" in created.stderr
    assert f"b2b org modify {contract['organization_id']} --sso-id" in created.stderr
    # And the seed's listing steps work
    assert org in ok(b2b("list", "organizations", "--org", org)).stdout
    assert contract["id"] in [c["id"] for c in as_json(b2b("list", "contracts", "--json"))]
    ok(b2b("contract", "courseware", str(contract["id"]), course))
    runs = as_json(b2b("list", "courseware", "--contract", str(contract["id"]), "--json"))["runs"]
    assert [r["course_id"] for r in runs] == [course]
    # When the operator sets the organization's SSO id with the CLI
    changed = as_json(b2b("org", "modify", org, "--sso-id", f"idp-{unique}", "--json"))
    assert changed["sso_organization_id"] == f"idp-{unique}"
    # Then a learner whose login names that SSO organization is attached to the contract
    headers = learner_headers(f"sso-{unique}", organization={"uni": {"id": f"idp-{unique}"}})
    mine = http.get("/v1/me/contracts", headers=headers)
    assert mine.status_code == 200, mine.text
    assert [c["contract_id"] for c in mine.json()["items"]] == [contract["id"]]


def test_capped_quick_setup_exports_every_code_then_delete(b2b, admin_http, course, unique, tmp_path):
    org = f"UniversityC{unique}"
    # When the operator follows the capped non-SSO quick setup
    contract = as_json(
        b2b("contract", "create", org, f"{org} Contract", "non-sso", "--create", "--max-learners", "200",
            "--description", "Test capped non-SSO contract", "--json")
    )  # fmt: skip
    assert "SSO" not in b2b("list", "organizations", "--org", org).stderr
    ok(b2b("list", "contracts", "--org", org))
    attached = ok(b2b("contract", "courseware", str(contract["id"]), course))
    # Then attaching says the codes are made in the background and how to watch them
    assert f"b2b codes health {contract['id']}" in attached.stderr
    ok(b2b("list", "courseware", "--contract", str(contract["id"])))
    # When the codes are exported straight away (no waiting for the queue by the operator)
    export = ok(b2b("list", "contracts", "--codes", str(contract["id"])))
    # Then the export waited for all 200, and the file holds them with the documented columns
    with (tmp_path / f"codes-{contract['id']}.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Code", "Product", "Redeemed", "Product URL", "Attach URL"]
    assert len(rows) == 201
    assert len({row[0] for row in rows[1:]}) == 200
    assert f"Wrote 200 codes of contract {contract['id']}" in export.stderr
    listed = admin_http.get(f"/v1/contracts/{contract['id']}/codes", params={"limit": 500}).json()
    assert {row[0] for row in rows[1:]} == {c["code"] for c in listed["items"]}
    # When the operator deletes the contract the seed's way
    ok(b2b("contract", "modify", str(contract["id"]), "--delete"))
    # Then it is deactivated (a soft delete: still there, inactive)
    stored = admin_http.get(f"/v1/contracts/{contract['id']}").json()
    assert stored["active"] is False


def test_a_typo_in_the_organization_name_creates_nothing(b2b, admin_http, unique):
    # Given an organization
    real = f"Typo University {unique}"
    as_json(b2b("contract", "create", real, "First", "code", "--create", "--json"))
    # When a contract is created for a misspelt name without --create
    result = b2b("contract", "create", f"Typo Universty {unique}", "Second", "code")
    # Then it is refused, the real name is suggested, and no organization was made
    assert result.exit_code == 1
    assert "add --create to create it" in result.stderr
    assert f"did you mean {real!r}" in result.stderr
    names = [o["name"] for o in admin_http.get("/v1/organizations", params={"limit": 500}).json()["items"]]
    assert f"Typo Universty {unique}" not in names


def test_export_refuses_until_reconciled_or_takes_what_exists_with_no_wait(b2b, unique, tmp_path):
    # Given a program of 2 courses attached to a contract capped at 2,000 (4,000 codes to make)
    courses = [f"course-v1:UAI_SOURCE+X{unique}{n}" for n in (1, 2)]
    for course_id in courses:
        ok(b2b("catalog", "add-course", course_id, "Course"))
        ok(b2b("catalog", "add-run", f"{course_id}+SOURCE"))
    program = as_json(
        b2b("catalog", "add-program", f"program-v1:UAI+X{unique}", "Program", *courses, "--json")
    )
    assert program["course_ids"] == courses  # the program was registered with its courses
    contract = as_json(b2b("contract", "create", f"Export Org {unique}", "C", "code", "--create",
                           "--max-learners", "2000", "--json"))  # fmt: skip
    ok(b2b("contract", "courseware", str(contract["id"]), program["program_id"]))
    # When exported at once with no time to wait
    refused = b2b("list", "contracts", "--codes", str(contract["id"]), "--timeout", "0")
    # Then it refuses with the health summary and names --no-wait; no file is written
    assert refused.exit_code == 1
    assert "not reconciled" in refused.stderr
    assert "--no-wait" in refused.stderr
    assert re.search(r"product \d+: ", refused.stderr)
    assert not (tmp_path / f"codes-{contract['id']}.csv").exists()
    # When exported with --no-wait
    partial = as_json(b2b("list", "contracts", "--codes", str(contract["id"]), "--no-wait", "--json"))
    # Then what existed was written, and the summary says it was not waited for
    assert partial["reconciled"] is False
    lines = (tmp_path / f"codes-{contract['id']}.csv").read_text().splitlines()
    assert len(lines) - 1 == partial["codes"] <= 4000
    # When exported with the default wait
    full = as_json(b2b("list", "contracts", "--codes", str(contract["id"]), "--json"))
    # Then all 4,000 are there
    assert (full["codes"], full["reconciled"]) == (4000, True)


def test_codes_health_shows_the_problems(b2b, admin_http, resources, unique):
    # Given a reconciled contract with 2 codes, one of whose items then disappears from the table
    contract = as_json(b2b("contract", "create", f"Health Org {unique}", "C", "code", "--create",
                           "--max-learners", "2", "--json"))  # fmt: skip
    course_id = f"course-v1:UAI_SOURCE+H{unique}"
    ok(b2b("catalog", "add-course", course_id, "Course"))
    ok(b2b("catalog", "add-run", f"{course_id}+SOURCE"))
    ok(b2b("contract", "courseware", str(contract["id"]), course_id))
    ok(b2b("list", "contracts", "--codes", str(contract["id"])))  # waits until reconciled
    code = admin_http.get(f"/v1/contracts/{contract['id']}/codes").json()["items"][0]["code"]
    table = boto3.client("dynamodb", endpoint_url=resources.endpoint_url, region_name="us-east-1")
    gone = table.delete_item(
        TableName=resources.tables["Table"],
        Key={"pk": {"S": f"CODE#{re.sub(r'[^0-9A-Z]', '', code.upper())}"}, "sk": {"S": "CODE"}},
        ReturnValues="ALL_OLD",
    )
    assert "Attributes" in gone
    # When the operator checks the codes' health (a table, not --json)
    result = ok(b2b("codes", "health", str(contract["id"])))
    # Then the problems are listed, one per line
    assert "NOT healthy" in result.stdout
    problems = [line for line in result.stdout.splitlines() if line.startswith("  - product ")]
    assert any("1 codes are missing" in line for line in problems), result.stdout


def test_attaching_courseware_missing_from_the_catalog_says_how_to_register_it(b2b, unique):
    contract = as_json(b2b("contract", "create", f"Cat Org {unique}", "C", "code", "--create", "--json"))
    result = b2b("contract", "courseware", str(contract["id"]), f"course-v1:UAI_SOURCE+NONE{unique}")
    assert result.exit_code == 1
    assert "404 course_not_found" in result.stderr
    assert "b2b catalog add-course" in result.stderr


def test_tables_fit_80_columns_and_wide_shows_everything(b2b, course, unique):
    # Given a contract with a contract run
    contract = as_json(b2b("contract", "create", f"Narrow Org {unique}", "A rather long contract name",
                           "code", "--create", "--max-learners", "5", "--json"))  # fmt: skip
    attached = ok(b2b("contract", "courseware", str(contract["id"]), course))
    run_id = as_json(b2b("list", "courseware", "--contract", str(contract["id"]), "--json"))["runs"][0][
        "run_id"
    ]
    narrow = ok(b2b("list", "courseware", "--contract", str(contract["id"])))
    listed = ok(b2b("list", "contracts", "--org", f"Narrow Org {unique}"))
    # Then at 80 columns no line is wider, ids stay whole on one line, and times have no microseconds
    for output in (attached.stdout, narrow.stdout, listed.stdout):
        assert max(len(line) for line in output.splitlines()) <= 80
        assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d", output)
    assert run_id in attached.stdout
    assert run_id in narrow.stdout
    assert "A rather long contract name" in listed.stdout
    assert "more columns with --wide" in narrow.stdout
    # When --wide is given, every column is there
    wide = ok(b2b("list", "courseware", "--contract", str(contract["id"]), "--wide"))
    for header in ("Run", "Product", "Price", "Clone", "Start", "End", "Course"):
        assert header in wide.stdout
    assert "more columns" not in wide.stdout


def test_dev_token_json_is_a_token_the_stack_accepts(b2b, http):
    token = as_json(b2b("dev", "token", "--sub", "json-learner", "--json"))
    assert (token["sub"], token["admin"]) == ("json-learner", False)
    mine = http.get("/v1/me/contracts", headers={"Authorization": f"Bearer {token['token']}"})
    assert mine.status_code == 200
