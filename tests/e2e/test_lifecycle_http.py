"""Entitlements stay right when a contract changes: the eight lifecycle cases over HTTP on the local
stack, as an operator and learners meet them (contract changes go through the API, the queue and
the reconciler function; learners use the checkout and learner APIs)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
from b2b.db import keys
from b2b.db.models import CodeCounterItem, EnrollmentHistoryItem
from b2b_cli.main import app
from b2b_local.tokens import mint_token
from typer.testing import CliRunner

from tests.codes_support import add_products, make_contract
from tests.e2e.conftest import learner_headers


def _contract(stack, admin_http: httpx.Client, unique: str, courses: int = 1, **fields: Any):
    """A contract made over the API with ``courses`` attached courses, reconciled; (id, product ids)."""
    body = {
        "organization_name": f"Lifecycle {unique}",
        "create_organization": True,
        "name": "Lifecycle",
        "membership_type": "code",
    } | fields
    created = admin_http.post("/v1/contracts", json=body)
    assert created.status_code == 201, created.text
    contract_id = created.json()["id"]
    for n in range(courses):
        course_id = f"course-v1:UAI_SOURCE+LC{n}x{unique}"
        assert admin_http.post("/v1/catalog/courses", json={"course_id": course_id, "title": "LC"}).is_success
        assert admin_http.post(
            "/v1/catalog/course-runs", json={"run_id": f"{course_id}+SOURCE", "title": "LC source"}
        ).is_success
        attached = admin_http.post(
            f"/v1/contracts/{contract_id}/courseware", json={"courseware_id": course_id}
        )
        assert attached.status_code == 201, attached.text
    assert stack.poller.wait_idle(60)
    runs = admin_http.get(f"/v1/contracts/{contract_id}/courseware").json()["runs"]
    return contract_id, sorted(run["product"]["product_id"] for run in runs)


def _codes(admin_http: httpx.Client, contract_id: int, **params: Any) -> list[dict[str, Any]]:
    listed = admin_http.get(f"/v1/contracts/{contract_id}/codes", params={"limit": 200} | params)
    assert listed.status_code == 200, listed.text
    return listed.json()["items"]


def _patch(stack, admin_http: httpx.Client, contract_id: int, **changes: Any) -> None:
    patched = admin_http.patch(f"/v1/contracts/{contract_id}", json=changes)
    assert patched.status_code == 200, patched.text
    assert stack.poller.wait_idle(60)


def _healthy(admin_http: httpx.Client, contract_id: int) -> bool:
    health = admin_http.get(f"/v1/contracts/{contract_id}/codes/health").json()
    return bool(health["healthy"]), health


def _complete(http: httpx.Client, sub: str, product_id: int, code: str | None = None, **claims: Any):
    body: dict[str, Any] = {"product_ids": [product_id]}
    if code is not None:
        body["code"] = code
    return http.post("/v1/checkout/complete", json=body, headers=learner_headers(sub, **claims))


def test_a_used_unlimited_code_is_retired_when_the_price_changes(stack, http, admin_http, unique):
    # Given an uncapped free code contract with one unlimited code, used once at 0.00
    contract_id, [product_id] = _contract(stack, admin_http, unique)
    [old] = _codes(admin_http, contract_id)
    assert (old["kind"], old["amount"]) == ("unlimited", "0.00")
    first = _complete(http, f"lc1-a-{unique}", product_id, old["code"])
    assert first.status_code == 200, first.text
    assert Decimal(first.json()["total"]) == 0

    # When the contract gets a price
    _patch(stack, admin_http, contract_id, price="49.00")

    # Then the used code is retired with its redemption kept, and a new code sells at 49.00
    codes = {c["code"]: c for c in _codes(admin_http, contract_id)}
    assert (codes[old["code"]]["status"], codes[old["code"]]["redemptions"]) == ("retired", 1)
    [new] = [c for c in codes.values() if c["status"] == "available"]
    assert (new["kind"], new["amount"]) == ("unlimited", "49.00")
    # And the old code no longer enrolls anyone at $0
    second = _complete(http, f"lc1-b-{unique}", product_id, old["code"])
    assert second.status_code == 404, second.text
    # (a retired code opens nothing, so its contract's product looks unknown: no oracle)
    assert second.json()["error"]["code"] in {"code_invalid", "unknown_product"}
    priced = _complete(http, f"lc1-b-{unique}", product_id, new["code"])
    assert priced.status_code == 200, priced.text
    # (a priced checkout opens an order that waits for the payment)
    assert (priced.json()["status"], Decimal(priced.json()["total"])) == ("pending_payment", Decimal(49))

    # When the contract is capped too, the old code still enrolls no one and health agrees
    _patch(stack, admin_http, contract_id, max_learners=5)
    third = _complete(http, f"lc1-c-{unique}", product_id, old["code"])
    assert third.status_code == 404
    live = [c for c in _codes(admin_http, contract_id) if c["status"] == "available"]
    assert sorted((c["kind"], c["amount"]) for c in live) == [("one_time", "49.00")] * 5
    healthy, health = _healthy(admin_http, contract_id)
    assert healthy, health


def test_lowering_the_cap_keeps_the_codes_learners_claimed(stack, http, admin_http, unique):
    # Given a free code contract capped at 4, and two learners attached with the two newest codes
    contract_id, [product_id] = _contract(stack, admin_http, unique, max_learners=4)
    codes = _codes(admin_http, contract_id)
    assert len(codes) == 4
    newest = codes[-2:]
    for n, code in enumerate(newest):
        attached = http.post(f"/v1/codes/{code['code']}/attach", headers=learner_headers(f"lc2-{n}-{unique}"))
        assert attached.status_code == 201, attached.text

    # When the cap drops to 2
    _patch(stack, admin_http, contract_id, max_learners=2)

    # Then the claimed codes stay with their learners and the two unclaimed ones are deactivated
    by_code = {c["code"]: c for c in _codes(admin_http, contract_id)}
    assert [by_code[c["code"]]["status"] for c in newest] == ["available", "available"]
    assert [by_code[c["code"]]["claimed_by"] for c in newest] == [f"lc2-0-{unique}", f"lc2-1-{unique}"]
    assert sorted(c["status"] for c in by_code.values() if c["claimed_by"] is None) == ["deactivated"] * 2
    # And both attached learners can still enroll with their codes
    for n, code in enumerate(newest):
        done = _complete(http, f"lc2-{n}-{unique}", product_id, code["code"])
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "completed"
    stats = admin_http.get(f"/v1/contracts/{contract_id}/stats").json()
    assert (stats["seats_taken"], stats["max_learners"]) == (2, 2)
    healthy, health = _healthy(admin_http, contract_id)
    assert healthy, health


def test_a_detached_course_takes_its_codes_with_it(stack, http, admin_http, unique):
    # Given a capped code contract with two courses, two codes each
    contract_id, products = _contract(stack, admin_http, unique, courses=2, max_learners=2)
    detached_product = products[0]
    detached_codes = _codes(admin_http, contract_id, product_id=detached_product)
    assert len(detached_codes) == 2

    # When the first course is detached, and then the cap changes
    course_id = f"course-v1:UAI_SOURCE+LC0x{unique}"
    removed = admin_http.delete(f"/v1/contracts/{contract_id}/courseware/{quote(course_id, safe='')}")
    assert removed.status_code == 200, removed.text
    assert stack.poller.wait_idle(60)
    _patch(stack, admin_http, contract_id, max_learners=3)

    # Then its codes are deactivated, health is healthy, and the export leaves them out
    assert {c["status"] for c in _codes(admin_http, contract_id, product_id=detached_product)} == {
        "deactivated"
    }
    healthy, health = _healthy(admin_http, contract_id)
    assert healthy, health
    exported = admin_http.get(f"/v1/contracts/{contract_id}/codes.csv").text
    assert all(c["code"] not in exported for c in detached_codes)
    assert exported.count("\n") == 1 + 3  # header + the other course's three codes
    # And attaching with one of them takes no seat
    refused = http.post(
        f"/v1/codes/{detached_codes[0]['code']}/attach", headers=learner_headers(f"lc3-{unique}")
    )
    assert refused.status_code == 404
    assert admin_http.get(f"/v1/contracts/{contract_id}/stats").json()["seats_taken"] == 0


def test_a_learner_who_unenrolled_can_enroll_again(stack, http, admin_http, unique):
    # Given a learner enrolled by checkout with the contract's unlimited code
    contract_id, [product_id] = _contract(stack, admin_http, unique)
    [code] = _codes(admin_http, contract_id)
    learner = f"lc4-{unique}"
    first = _complete(http, learner, product_id, code["code"])
    assert first.status_code == 200, first.text
    run_id = first.json()["enrollment"]["run_id"]

    for path in ("code", "membership"):
        # When they unenroll and then check out again (with the code, then as a member without one)
        gone = http.delete(f"/v1/me/enrollments/{quote(run_id, safe='')}", headers=learner_headers(learner))
        assert gone.status_code == 200, gone.text
        again = _complete(http, learner, product_id, code["code"] if path == "code" else None)

        # Then they are enrolled again
        assert again.status_code == 200, (path, again.text)
        assert again.json()["status"] == "completed"
        mine = http.get("/v1/me/enrollments", headers=learner_headers(learner)).json()["items"]
        assert [(e["run_id"], e["status"]) for e in mine] == [(run_id, "active")]

    # And both earlier enrollments are kept as history
    history = list(
        EnrollmentHistoryItem.query(
            keys.user_pk(learner), EnrollmentHistoryItem.sk.startswith(keys.ENROLLMENT_HISTORY_SK_PREFIX)
        )
    )
    assert [(h.run_id, h.status) for h in history] == [(run_id, "unenrolled")] * 2
    assert admin_http.get(f"/v1/contracts/{contract_id}/stats").json()["seats_taken"] == 1


def test_retrying_ones_own_checkout_is_not_a_wrong_code(stack, http, admin_http, unique):
    # Given a learner who completed a checkout with a one-time code of a two-course contract
    contract_id, products = _contract(stack, admin_http, unique, courses=2, max_learners=3)
    first_code = _codes(admin_http, contract_id, product_id=products[0])[0]["code"]
    other_code = _codes(admin_http, contract_id, product_id=products[1])[0]["code"]
    learner = f"lc5-{unique}"
    assert _complete(http, learner, products[0], first_code).status_code == 200

    # When they re-send the same checkout twelve times without an Idempotency-Key
    retries = [_complete(http, learner, products[0], first_code) for _ in range(12)]

    # Then each is refused as already done, never throttled
    assert {r.status_code for r in retries} == {409}
    assert all("already_enrolled" in r.text for r in retries)
    # And a valid code for the other course still works
    other = _complete(http, learner, products[1], other_code)
    assert other.status_code == 200, other.text


def test_a_price_change_between_reading_and_writing_is_judged_again(stack, http, admin_http, unique):
    # Given a free uncapped code contract and many learners checking out while the price changes
    contract_id, [product_id] = _contract(stack, admin_http, unique)
    [code] = _codes(admin_http, contract_id)
    from concurrent.futures import ThreadPoolExecutor

    def checkout(n: int) -> httpx.Response:
        return _complete(http, f"lc6-{n}-{unique}", product_id, code["code"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        early = [pool.submit(checkout, n) for n in range(12)]
        patched = admin_http.patch(f"/v1/contracts/{contract_id}", json={"price": "30.00"})
        late = [pool.submit(checkout, n) for n in range(12, 24)]
    assert patched.status_code == 200
    answers = [f.result() for f in early + late]

    # Then every completed (free) checkout committed under the free terms: no enrollment at $0 after
    # the change, and every learner after it is asked to pay 30.00 (or finds the code retired)
    assert all(a.status_code in {200, 404} for a in answers), [a.text for a in answers]
    completed = [a.json() for a in answers if a.status_code == 200 and a.json()["status"] == "completed"]
    assert all(Decimal(c["total"]) == 0 for c in completed)
    for answer in (f.result() for f in late):
        assert answer.status_code == 404 or answer.json()["status"] == "pending_payment"
    counter = CodeCounterItem.get(keys.contract_pk(contract_id), keys.code_counter_sk(product_id))
    assert int(counter.unlimited_uses) == len(completed)
    assert stack.poller.wait_idle(60)


def test_drift_is_repaired_on_request_and_by_the_sweep(stack, http, admin_http, unique):
    # Given two contracts whose reconcile message never arrived (written straight to the table)
    requested, swept = (make_contract(f"{unique}{n}".upper(), max_learners=2) for n in "AB")
    for contract in (requested, swept):
        add_products(contract, 1)
        assert _healthy(admin_http, contract.id)[0] is False

    # When an operator asks for a reconcile of the first
    queued = admin_http.post(f"/v1/contracts/{requested.id}/reconcile")
    assert queued.status_code == 202, queued.text
    assert queued.json()["contract_id"] == requested.id
    assert stack.poller.wait_idle(60)
    # Then it is healthy again
    assert _healthy(admin_http, requested.id)[0] is True

    # When the scheduled sweep runs (locally, the template's schedule invoked by hand)
    token = {"Authorization": f"Bearer {mint_token('e2e-admin', admin=True)}"}
    ran = httpx.post(f"{stack.api_url}/_local/schedules/CodeDriftSweepSchedule", headers=token, timeout=900)
    assert ran.status_code == 200, ran.text
    # Then it found the second contract drifting and queued its reconcile, which healed it
    assert swept.id in ran.json()["result"]["drifting"]
    assert requested.id not in ran.json()["result"]["drifting"]
    assert stack.poller.wait_idle(60)
    assert _healthy(admin_http, swept.id)[0] is True
    again = httpx.post(f"{stack.api_url}/_local/schedules/CodeDriftSweepSchedule", headers=token, timeout=900)
    assert swept.id in again.json()["result"]["healed"]
    assert swept.id not in again.json()["result"]["persisted"]
    # And a reconcile of an unknown contract is a 404
    assert admin_http.post("/v1/contracts/999999999/reconcile").status_code == 404


def test_members_enroll_without_a_code(stack, http, admin_http, unique):
    # Given a free auto contract with a learner attached by an admin, and a priced code contract
    # with a learner attached by code
    free_id, [free_product] = _contract(stack, admin_http, f"{unique}f", membership_type="auto")
    member = f"lc8-m-{unique}"
    assert admin_http.put(f"/v1/contracts/{free_id}/learners/{member}").status_code in {200, 201}
    priced_id, [priced_product] = _contract(stack, admin_http, f"{unique}p", max_learners=3, price="25.00")
    buyer = f"lc8-b-{unique}"
    code = _codes(admin_http, priced_id)[0]["code"]
    assert http.post(f"/v1/codes/{code}/attach", headers=learner_headers(buyer)).status_code == 201

    # When the members check out without a code
    free = _complete(http, member, free_product)
    priced = _complete(http, buyer, priced_product)
    stranger = _complete(http, f"lc8-s-{unique}", free_product)

    # Then the free one is enrolled at no cost, the priced one is asked for the contract's price
    assert free.status_code == 200, free.text
    assert (free.json()["status"], Decimal(free.json()["total"])) == ("completed", 0)
    assert priced.status_code == 200, priced.text
    assert (priced.json()["status"], Decimal(priced.json()["total"])) == ("pending_payment", Decimal(25))
    # And a learner who is neither a member nor holds a code gets nothing: the product looks unknown
    assert stranger.status_code == 404
    assert stranger.json()["error"]["code"] == "unknown_product"
    assert admin_http.get(f"/v1/contracts/{free_id}/stats").json()["seats_taken"] == 1


def test_the_cli_asks_for_a_reconcile(stack, admin_http, unique, tmp_path):
    # Given a contract whose codes were never reconciled
    contract = make_contract(f"{unique}CLI".upper(), max_learners=1)
    add_products(contract, 1)
    env = {
        "B2B_API_URL": stack.api_url,
        "B2B_TOKEN": mint_token("e2e-operator", admin=True),
        "B2B_CONFIG": str(tmp_path / "no-config.toml"),
        "B2B_PROFILE": None,
    }
    # When the operator runs `b2b codes reconcile ID` against the local stack
    result = CliRunner().invoke(app, ["codes", "reconcile", str(contract.id)], env=env)
    # Then the reconcile is queued, and once the queue drains the codes are healthy
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert f"Reconcile of contract {contract.id} queued" in result.stdout + result.stderr
    assert stack.poller.wait_idle(60)
    assert _healthy(admin_http, contract.id)[0] is True
    # And an unknown contract is an error naming it
    missing = CliRunner().invoke(app, ["codes", "reconcile", "999999999"], env=env)
    assert missing.exit_code == 1
