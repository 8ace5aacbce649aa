"""The admin API over HTTP on the local stack, as an operator with curl would use it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.e2e.conftest import learner_headers


def test_operator_creates_an_organization_and_a_contract(admin_http, unique):
    org = admin_http.post("/v1/organizations", json={"name": f"E2E University {unique}"})
    assert org.status_code == 201, org.text
    contract = admin_http.post(
        "/v1/contracts",
        json={
            "organization_id": org.json()["id"],
            "name": "E2E Contract",
            "membership_type": "non-sso",
            "max_learners": 200,
        },
    )
    assert contract.status_code == 201, contract.text
    listed = admin_http.get("/v1/contracts", params={"organization_id": org.json()["id"]}).json()["items"]
    assert [c["id"] for c in listed] == [contract.json()["id"]]
    assert listed[0]["membership_type"] == "code"


def test_tokens_decide_access(http):
    assert http.get("/v1/organizations").status_code == 401
    assert http.get("/v1/organizations", headers={"Authorization": "Bearer not-a-jwt"}).status_code == 401
    learner = http.get("/v1/organizations", headers=learner_headers("e2e-learner"))
    assert learner.status_code == 403
    assert learner.json()["error"]["code"] == "admin_required"
    assert http.get("/v1/health").json()["status"] == "ok"


def test_twenty_concurrent_creates_of_one_organization(stack, admin_http, unique):
    name = f"Concurrent {unique}"
    headers = dict(admin_http.headers)

    def create(_: int) -> int:
        return httpx.post(
            f"{stack.api_url}/v1/organizations", json={"name": name}, headers=headers, timeout=60
        ).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(create, range(20)))
    assert statuses.count(201) == 1
    assert statuses.count(409) == 19
    everyone = []
    cursor = None
    while True:
        page = admin_http.get(
            "/v1/organizations", params={"limit": 500, **({"cursor": cursor} if cursor else {})}
        ).json()
        everyone += [o for o in page["items"] if o["name"] == name]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(everyone) == 1


def test_docs_are_served(http):
    assert http.get("/v1/docs").status_code == 200
    spec = http.get("/v1/openapi.json").json()
    assert "/v1/contracts/{contract_id}" in spec["paths"]
