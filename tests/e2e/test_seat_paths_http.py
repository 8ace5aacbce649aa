"""Sixty learners race for ten seats over the five ways into a contract (checkout with a code, attach
by code, admin provisioning, the organization claim on a token, the signed Keycloak webhook), over
HTTP on the local stack: the cap holds exactly."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from b2b.db import contracts as contract_repo
from b2b.db import keys
from b2b.db.models import MembershipItem
from b2b.domain.model import MembershipType
from b2b.settings import LOCAL_WEBHOOK_SECRET
from keycloak_hook.signature import sign

from tests import builders
from tests.e2e.conftest import learner_headers

pytestmark = pytest.mark.e2e
PER_PATH = 12


def test_sixty_learners_over_five_paths_fill_ten_seats(stack, http, admin_http, unique):
    # Given a free auto contract capped at 10 of an SSO organization, one product, and a code for
    # each learner coming by a code path
    sso_id = f"seats-{unique}"
    org = builders.organization(unique, sso_organization_id=sso_id)
    contract = builders.contract(org, membership_type=MembershipType.AUTO, max_learners=10)
    product = builders.product(contract)
    codes = builders.codes(product, 2 * PER_PATH)
    assert stack.poller.wait_idle(60)

    def by_checkout(n: int) -> str:
        http.post(
            "/v1/checkout/complete",
            json={"product_ids": [product.id], "code": codes[n]},
            headers=learner_headers(f"s-co-{unique}-{n}"),
        )
        return f"s-co-{unique}-{n}"

    def by_attach(n: int) -> str:
        http.post(f"/v1/codes/{codes[PER_PATH + n]}/attach", headers=learner_headers(f"s-at-{unique}-{n}"))
        return f"s-at-{unique}-{n}"

    def by_admin(n: int) -> str:
        admin_http.put(f"/v1/contracts/{contract.id}/learners/s-ad-{unique}-{n}")
        return f"s-ad-{unique}-{n}"

    def by_claim(n: int) -> str:
        user = f"s-cl-{unique}-{n}"
        http.get("/v1/me/contracts", headers=learner_headers(user, organization={"uni": {"id": sso_id}}))
        return user

    def by_webhook(n: int) -> str:
        user = f"s-kc-{unique}-{n}"
        body = json.dumps({"type": "LOGIN", "userId": user, "organization": {"uni": {"id": sso_id}}})
        http.post(
            "/v1/hooks/keycloak",
            content=body,
            headers={
                "X-Signature": sign(LOCAL_WEBHOOK_SECRET, int(time.time()), body),
                "Content-Type": "application/json",
            },
        )
        return user

    paths = (by_checkout, by_attach, by_admin, by_claim, by_webhook)
    jobs = [(path, n) for n in range(PER_PATH) for path in paths]

    # When sixty learners come in at once, twelve by each path
    with ThreadPoolExecutor(max_workers=30) as pool:
        learners = list(pool.map(lambda job: job[0](job[1]), jobs))
    assert stack.poller.wait_idle(120)

    # Then exactly ten are members (recounted from the membership items) and the counter agrees
    members = {
        item.user_id
        for item in MembershipItem.query(
            keys.contract_pk(contract.id), MembershipItem.sk.startswith("LEARNER#")
        )
    }
    assert len(members) == 10
    assert members <= set(learners)
    assert contract_repo.get_seats_taken(contract.id) == 10
