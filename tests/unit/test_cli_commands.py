"""The `b2b` CLI against a fake admin API (httpx.MockTransport speaking the documented shapes).

These cover request building and page handling; what the commands do is checked against the real
API by tests/e2e/test_cli.py and tests/e2e/test_cli_workflows.py, which run the CLI against
the real local stack.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from b2b_cli.main import app
from b2b_cli.session import Session
from typer.testing import CliRunner

API = "http://api.test"


@dataclass
class FakeApi:
    """Records every request and answers from ``routes`` ((method, path) → handler)."""

    routes: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        handler = self.routes.get((request.method, request.url.raw_path.decode().split("?")[0]))
        if handler is None:
            return httpx.Response(
                404, json={"error": {"code": "route_not_found", "message": "no such route"}}
            )
        return handler(request)

    def on(self, method: str, path: str, answer: Any, status: int = 200) -> None:
        self.routes[(method, path)] = lambda _: httpx.Response(status, json=answer)

    def paged(self, path: str, pages: list[list[dict[str, Any]]], **extra: Any) -> None:
        """A list endpoint whose cursor is the index of the next page."""

        def handler(request: httpx.Request) -> httpx.Response:
            index = int(request.url.params.get("cursor") or 0)
            next_cursor = str(index + 1) if index + 1 < len(pages) else None
            return httpx.Response(200, json={"items": pages[index], "next_cursor": next_cursor, **extra})

        self.routes[("GET", path)] = handler

    def csv_paged(self, path: str, pages: list[list[list[str]]]) -> None:
        """A CSV endpoint answering pages of rows (header first) and ``X-Next-Cursor``."""

        def handler(request: httpx.Request) -> httpx.Response:
            index = int(request.url.params.get("cursor") or 0)
            text = io.StringIO()
            csv.writer(text).writerows(
                [["Code", "Product", "Redeemed", "Product URL", "Attach URL"], *pages[index]]
            )
            headers = {"X-Next-Cursor": str(index + 1)} if index + 1 < len(pages) else {}
            return httpx.Response(200, text=text.getvalue(), headers=headers)

        self.routes[("GET", path)] = handler

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def b2b(api: FakeApi, tmp_path: Any) -> Callable[..., Any]:
    """Run `b2b ARGS…` in-process against the fake API, with no config file and a fixed token."""
    environ = {"B2B_API_URL": API, "B2B_TOKEN": "test-token", "B2B_CONFIG": str(tmp_path / "none.toml")}

    def run(*args: str) -> Any:
        session = Session(transport=httpx.MockTransport(api), environ=environ)
        return CliRunner().invoke(app, list(args), obj=session)

    return run


CONTRACT = {
    "id": 12,
    "organization_id": 3,
    "name": "UniversityX Contract",
    "membership_type": "code",
    "active": True,
    "is_open": True,
    "start": None,
    "end": None,
    "max_learners": 200,
    "price": None,
}


def test_contract_create_posts_the_organization_by_name(api, b2b):
    # Given an API that creates the contract
    api.on("POST", "/v1/contracts", CONTRACT, status=201)
    # When the operator creates a non-SSO contract with a new organization
    result = b2b(
        "contract", "create", "UniversityX", "UniversityX Contract", "non-sso", "--create",
        "--max-learners", "200", "--price", "0", "--start", "2026-01-05", "--description", "capped", "--json",
    )  # fmt: skip
    # Then the body names the organization, asks to create it, and carries the options in API form
    assert result.exit_code == 0, result.output
    assert api.body() == {
        "organization_name": "UniversityX",
        "create_organization": True,
        "name": "UniversityX Contract",
        "membership_type": "non-sso",
        "start": "2026-01-05T00:00:00Z",
        "max_learners": 200,
        "price": "0",
        "description": "capped",
    }
    assert api.requests[0].headers["Authorization"] == "Bearer test-token"
    assert json.loads(result.stdout)["id"] == 12


def test_contract_modify_sends_nulls_for_removals(api, b2b):
    # Given a contract
    api.on("PATCH", "/v1/contracts/12", CONTRACT)
    # When the operator removes price and cap, moves the end date and deactivates it
    result = b2b(
        "contract",
        "modify",
        "12",
        "--no-price",
        "--no-learner-cap",
        "--end",
        "2027-06-30T12:00:00+02:00",
        "--inactive",
    )
    # Then the PATCH carries nulls for the removals and only the fields given
    assert result.exit_code == 0, result.output
    assert api.body() == {
        "price": None,
        "max_learners": None,
        "end": "2027-06-30T12:00:00+02:00",
        "active": False,
    }
    assert "Contract 12 updated" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--price", "10", "--no-price"],
        ["--max-learners", "5", "--no-learner-cap"],
        ["--start", "2026-01-01", "--no-start-date"],
        ["--start", "next tuesday"],
        ["--price", "ten"],
        [],
    ],
)
def test_contract_modify_usage_errors_exit_2_without_a_request(api, b2b, args):
    # When the command line contradicts itself or is malformed
    result = b2b("contract", "modify", "12", *args)
    # Then nothing is sent and the exit code says usage
    assert result.exit_code == 2
    assert api.requests == []


def test_courseware_attach_and_remove(api, b2b):
    # Given the courseware endpoints
    course = "course-v1:UAI_SOURCE+14.100x"
    api.on(
        "POST",
        "/v1/contracts/12/courseware",
        {"courseware_id": course, "kind": "course", "runs": ["r1"]},
        201,
    )
    api.on("DELETE", "/v1/contracts/12/courseware/course-v1%3AUAI_SOURCE%2B14.100x", None, 204)
    # When the operator attaches a course without runs, then removes it
    attached = b2b("contract", "courseware", "12", course, "--no-create-runs")
    removed = b2b("contract", "courseware", "12", course, "--remove")
    # Then the body is {"courseware_id", "create_runs"} and the removal path encodes the readable id
    assert attached.exit_code == 0, attached.output
    assert api.body(0) == {"courseware_id": course, "create_runs": False}
    assert removed.exit_code == 0, removed.output
    assert api.requests[1].method == "DELETE"
    assert api.requests[1].url.raw_path == b"/v1/contracts/12/courseware/course-v1%3AUAI_SOURCE%2B14.100x"
    assert f"Removed {course}" in removed.stderr


def test_courseware_attach_creates_runs_by_default(api, b2b):
    api.on("POST", "/v1/contracts/7/courseware", {"courseware_id": "program-v1:UAI+DS"}, 201)
    result = b2b("contract", "courseware", "7", "program-v1:UAI+DS", "--json")
    assert result.exit_code == 0, result.output
    assert api.body() == {"courseware_id": "program-v1:UAI+DS", "create_runs": True}


def test_list_courseware_follows_next_cursor(api, b2b):
    # Given courseware links and runs spread over two pages
    pages = [
        {"contract_id": 12, "links": [{"courseware_id": "course-v1:X+1", "kind": "course"}],
         "runs": [{"run_id": "course-v1:UAI_U+1+2026_C12", "product": {"product_id": 7, "price": "0.00"}}],
         "next_cursor": "1"},
        {"contract_id": 12, "links": [], "runs": [{"run_id": "course-v1:UAI_U+2+2026_C12", "product": None}],
         "next_cursor": None},
    ]  # fmt: skip
    api.routes[("GET", "/v1/contracts/12/courseware")] = lambda request: httpx.Response(
        200, json=pages[int(request.url.params.get("cursor") or 0)]
    )
    # When the operator lists it as JSON, then as a table
    result = b2b("list", "courseware", "--contract", "12", "--json")
    table = b2b("list", "courseware", "--contract", "12")
    # Then every page was fetched with the previous page's cursor, and links and runs are both shown
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [link["courseware_id"] for link in listed["links"]] == ["course-v1:X+1"]
    assert [run["run_id"] for run in listed["runs"]] == [
        "course-v1:UAI_U+1+2026_C12",
        "course-v1:UAI_U+2+2026_C12",
    ]
    assert [r.url.params.get("cursor") for r in api.requests[:2]] == [None, "1"]
    assert table.exit_code == 0, table.output
    assert "Runs of contract 12" in table.stdout


def test_list_learners_table(api, b2b):
    # Given two pages of learners
    api.paged(
        "/v1/contracts/12/learners",
        [[{"user_id": "learner-1", "source": "code", "code": None, "attached_at": "2026-01-05T00:00:00Z"}],
         [{"user_id": "learner-2", "source": "sso", "code": None, "attached_at": "2026-01-06T00:00:00Z"}]],
    )  # fmt: skip
    # When listed for people
    result = b2b("list", "learners", "--contract", "12")
    # Then both learners are in one table
    assert result.exit_code == 0, result.output
    assert "learner-1" in result.stdout
    assert "learner-2" in result.stdout
    assert "2 rows" in result.stdout


def _codes(start: int, count: int, redeemed: set[int] = frozenset()) -> list[list[str]]:
    return [
        [
            f"CODE-{i:04d}",
            f"course-v1:UAI_X+{40 + i % 2}+2026_C12",
            "yes" if i in redeemed else "no",
            f"https://shop.test/basket?product={40 + i % 2}&code=CODE-{i:04d}",
            f"https://shop.test/attach/CODE-{i:04d}",
        ]
        for i in range(start, start + count)
    ]


def test_codes_export_writes_the_csv_page_by_page(api, b2b, tmp_path, monkeypatch):
    # Given 5 codes over three CSV pages, one redeemed
    monkeypatch.chdir(tmp_path)
    api.on("GET", "/v1/contracts/12/codes/health", {"contract_id": 12, "healthy": True, "products": []})
    api.on("GET", "/v1/contracts/12/stats", {"codes": {"available": 4, "redeemed": 1, "deactivated": 0}})
    api.csv_paged("/v1/contracts/12/codes.csv", [_codes(0, 2, {1}), _codes(2, 2), _codes(4, 1)])
    # When the operator exports the codes
    result = b2b("list", "contracts", "--codes", "12")
    # Then codes-12.csv holds every code once under one header, and progress was shown
    assert result.exit_code == 0, result.output
    with (tmp_path / "codes-12.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Code", "Product", "Redeemed", "Product URL", "Attach URL"]
    assert [r[0] for r in rows[1:]] == [f"CODE-{i:04d}" for i in range(5)]
    assert rows[2] == _codes(1, 1, {1})[0]
    csv_requests = [r for r in api.requests if r.url.path.endswith("codes.csv")]
    assert [r.url.params.get("cursor") for r in csv_requests] == [None, "1", "2"]
    assert "codes of contract 12" in result.stderr
    assert "5/5" in result.stderr
    assert "Wrote 5 codes of contract 12 to codes-12.csv" in result.stderr
    assert not list(tmp_path.glob("*.part"))


def test_codes_export_to_a_named_file_with_json_summary(api, b2b, tmp_path):
    # Given one page with one code
    api.on("GET", "/v1/contracts/9/codes/health", {"contract_id": 9, "healthy": True, "products": []})
    api.on("GET", "/v1/contracts/9/stats", {"codes": {"available": 0, "redeemed": 1, "deactivated": 0}})
    api.csv_paged("/v1/contracts/9/codes.csv", [[["AAAA", "run", "yes", "", ""]]])
    out = tmp_path / "uni.csv"
    # When exported with --codes-out and --json
    result = b2b("list", "contracts", "--codes", "9", "--codes-out", str(out), "--json")
    # Then the summary names the file and count, and the CSV has the row
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"contract_id": 9, "file": str(out), "codes": 1, "reconciled": True}
    assert out.read_text().splitlines()[1] == "AAAA,run,yes,,"


def test_codes_export_failure_leaves_no_file(api, b2b, tmp_path, monkeypatch):
    # Given a contract that does not exist
    monkeypatch.chdir(tmp_path)
    api.on(
        "GET",
        "/v1/contracts/99/codes/health",
        {"error": {"code": "contract_not_found", "message": "contract 99 not found"}},
        404,
    )
    # When exported
    result = b2b("list", "contracts", "--codes", "99")
    # Then it fails with one line and no (partial) file
    assert result.exit_code == 1
    assert "404 contract_not_found: contract 99 not found" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_catalog_add_run_needs_course_and_tag_for_unusual_ids(api, b2b):
    result = b2b("catalog", "add-run", "weird-run")
    assert result.exit_code == 2
    assert api.requests == []


def test_learners_add_and_remove(api, b2b):
    # Given the learner endpoints
    api.on(
        "PUT",
        "/v1/contracts/12/learners/auth0%7Clearner%2F1",
        {"user_id": "auth0|learner/1", "source": "admin"},
        201,
    )
    api.on("DELETE", "/v1/contracts/12/learners/auth0%7Clearner%2F1", None, 204)
    # When a learner with an awkward id is added and removed
    added = b2b("learners", "add", "12", "auth0|learner/1", "--json")
    removed = b2b("learners", "remove", "12", "auth0|learner/1")
    # Then the id is one encoded path segment, and both succeed
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["source"] == "admin"
    assert [r.method for r in api.requests] == ["PUT", "DELETE"]
    assert removed.exit_code == 0, removed.output
    assert "detached from contract 12" in removed.stderr


def test_validation_error_is_one_line_naming_the_field(api, b2b):
    # Given the API rejects the cap
    api.on(
        "PATCH",
        "/v1/contracts/12",
        {"error": {"code": "invalid_input", "message": "max_learners: too small",
                   "details": [{"field": "max_learners", "message": "Input should be greater than or equal to 1"}]}},
        422,
    )  # fmt: skip
    # When the operator sends it
    result = b2b("contract", "modify", "12", "--max-learners", "0")
    # Then one line names the field, and the exit code says failed
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == ["error: 422 invalid_input: max_learners: Input should be greater than or equal to 1"]
    assert result.stdout == ""


def test_gateway_errors_without_the_error_body(api, b2b):
    # Given the gateway's own answers: a refused token, and a route this API does not have
    api.on("GET", "/v1/contracts/12/stats", {"message": "Unauthorized"}, 401)
    api.on("GET", "/v1/contracts/12/codes/health", {"message": "Not Found"}, 404)
    # When the operator runs commands that hit them
    refused = b2b("stats", "12")
    no_route = b2b("codes", "health", "12")
    # Then each is one line with a hint, exit code 1
    assert refused.exit_code == 1
    assert "401 http_error: Unauthorized (set B2B_TOKEN" in refused.stderr
    assert no_route.exit_code == 1
    assert "404 http_error: Not Found (this API has no such route" in no_route.stderr


def test_an_unpaged_list_answer_is_accepted(api, b2b):
    # Given a list endpoint that answers with a bare JSON array
    api.on("GET", "/v1/contracts/12/learners", [{"user_id": "learner-1", "source": "admin"}])
    # When listed
    result = b2b("list", "learners", "--contract", "12", "--json")
    # Then its items are shown and no further page is asked for
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"user_id": "learner-1", "source": "admin"}]
    assert len(api.requests) == 1


def test_codes_export_with_org_is_a_usage_error(api, b2b):
    result = b2b("list", "contracts", "--codes", "12", "--org", "3")
    assert result.exit_code == 2
    assert api.requests == []


def test_list_organizations_by_name_filters_pages(api, b2b):
    # Given organizations over two pages
    api.paged(
        "/v1/organizations",
        [[{"id": 1, "name": "Other", "slug": "other", "org_key": "OTHER"}],
         [{"id": 2, "name": "UniversityX", "slug": "universityx", "org_key": "UNIVERSITYX"}]],
    )  # fmt: skip
    # When one is asked for by name (any case)
    result = b2b("list", "organizations", "--org", "universityx", "--json")
    # Then only it is shown; an unknown name names the option
    assert result.exit_code == 0, result.output
    assert [o["id"] for o in json.loads(result.stdout)] == [2]
    missing = b2b("list", "organizations", "--org", "Nobody")
    assert missing.exit_code == 1
    assert "--org: no organization has the name, slug or key 'Nobody'" in missing.stderr


def test_list_contracts_of_an_organization_by_id(api, b2b):
    # Given an organization and its contracts
    api.on("GET", "/v1/organizations/3", {"id": 3, "name": "UniversityX"})
    api.paged("/v1/contracts", [[CONTRACT]])
    # When listed with --org 3
    result = b2b("list", "contracts", "--org", "3")
    # Then the contracts query filters by organization_id
    assert result.exit_code == 0, result.output
    assert api.requests[1].url.params["organization_id"] == "3"
    assert "UniversityX Contract" in result.stdout
