"""Server-side narrowing of lists: contracts by membership type and open/closed, organizations by text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from admin_api.handler import lambda_handler

from tests.factories import admin_claims, call, generate_api_gw_event


def _admin(method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Any:
    return call(lambda_handler, generate_api_gw_event(method, path, body, query=query, claims=admin_claims()))


def _all(path: str, query: dict[str, str], limit: int) -> tuple[list[dict[str, Any]], int]:
    """Every item over every page, and how many pages it took."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        answer = _admin(
            "GET", path, query=query | {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        )
        assert answer.status == 200, answer.body
        pages += 1
        items += answer.body["items"]
        assert len(answer.body["items"]) <= limit
        cursor = answer.body["next_cursor"]
        if not cursor:
            return items, pages


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_contract_filters_keep_exactly_the_contracts_that_match(unique):
    # Given an organization with contracts of each membership type, open and closed in every way
    org = _admin("POST", "/v1/organizations", {"name": f"Filter U {unique}"}).body
    now = datetime.now(UTC)
    past, future = now - timedelta(days=30), now + timedelta(days=30)
    shapes = {
        # name: (membership type, body extras, open by the rule written here independently)
        "open-plain": ("code", {}, True),
        "open-dated": ("auto", {"start": _iso(past), "end": _iso(future)}, True),
        "ended": ("code", {"start": _iso(past - timedelta(days=9)), "end": _iso(past)}, False),
        "not-started": ("managed", {"start": _iso(future)}, False),
        "inactive": ("auto", {"active": False}, False),
        "open-managed": ("managed", {"end": _iso(future)}, True),
    }
    ids: dict[str, int] = {}
    for name, (membership, extra, _) in shapes.items():
        created = _admin(
            "POST",
            "/v1/contracts",
            {"organization_id": org["id"], "name": f"{name} {unique}", "membership_type": membership} | extra,
        )
        assert created.status == 201, created.body
        ids[name] = created.body["id"]
    scope = {"organization_id": str(org["id"])}
    # When the list is narrowed each way (pages of 2, so a filter spans pages)
    for status in ("open", "closed"):
        got, _ = _all("/v1/contracts", scope | {"status": status}, limit=2)
        expected = {ids[n] for n, (_, _, is_open) in shapes.items() if is_open == (status == "open")}
        # Then exactly the contracts the rule names come back, each once
        assert sorted(c["id"] for c in got) == sorted(expected), status
        assert all(c["is_open"] == (status == "open") for c in got)
    for membership in ("auto", "code", "managed"):
        got, _ = _all("/v1/contracts", scope | {"membership_type": membership}, limit=2)
        assert {c["id"] for c in got} == {ids[n] for n, (m, _, _) in shapes.items() if m == membership}
    both, _ = _all("/v1/contracts", scope | {"membership_type": "auto", "status": "open"}, limit=5)
    assert [c["id"] for c in both] == [ids["open-dated"]]
    # And across all organizations the filter holds too
    everywhere, _ = _all("/v1/contracts", {"status": "closed", "membership_type": "managed"}, limit=50)
    assert ids["not-started"] in {c["id"] for c in everywhere}
    assert all(c["membership_type"] == "managed" and not c["is_open"] for c in everywhere)


def test_bad_filters_name_their_field():
    for query, field in (({"status": "half"}, "status"), ({"membership_type": "vip"}, "membership_type")):
        answer = _admin("GET", "/v1/contracts", query=query)
        assert answer.status == 422, query
        assert answer.body["error"]["details"][0]["field"] == field


def test_organization_search_matches_name_in_any_case_and_org_key(unique):
    # Given three organizations, two of them with the search word in their names
    named = [
        _admin("POST", "/v1/organizations", {"name": f"Zephyr Institute {unique}"}).body,
        _admin("POST", "/v1/organizations", {"name": f"Old ZEPHYR College {unique}"}).body,
    ]
    keyed = _admin("POST", "/v1/organizations", {"name": f"Plain {unique}", "org_key": f"ZK{unique}"}).body
    other = _admin("POST", "/v1/organizations", {"name": f"Unrelated {unique}"}).body
    # When searching for the word in another case, and for the key
    by_name, _ = _all("/v1/organizations", {"q": "zephyr"}, limit=1)
    by_key, _ = _all("/v1/organizations", {"q": f"zk{unique}"}, limit=10)
    # Then exactly those organizations come back
    found = {o["id"] for o in by_name}
    assert {o["id"] for o in named} <= found
    assert other["id"] not in found and keyed["id"] not in found
    assert all("zephyr" in o["name"].lower() for o in by_name)
    assert [o["id"] for o in by_key] == [keyed["id"]]
    # And an empty search is the whole list's first page
    assert _admin("GET", "/v1/organizations", query={"q": "  ", "limit": "3"}).status == 200
