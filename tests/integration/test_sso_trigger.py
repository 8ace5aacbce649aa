"""Cognito trigger: attaches to open free auto contracts, within caps, fails open, hands off."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from b2b.db import contracts as contract_repo
from b2b.db import memberships
from b2b.db.table import dynamodb_client
from b2b.domain.model import MembershipType, utcnow
from b2b.services import sso
from botocore.exceptions import EndpointConnectionError
from sso_trigger import handler

from tests.factories import generate_context
from tests.sso_support import cognito_event, contract, eventually, run_sso_worker, sso_organization


def contracts_of(user: str) -> set[int]:
    return {m.contract_id for m in memberships.list_contracts_of_learner(user, 100, None).items}


class FailingDynamoDB:
    """Makes every DynamoDB request fail (or stall) before it leaves the process."""

    def __init__(self, stall_seconds: float = 0.0) -> None:
        self.stall_seconds = stall_seconds
        self.events = dynamodb_client().meta.events

    def __call__(self, **_: object) -> None:
        if self.stall_seconds:
            time.sleep(self.stall_seconds)
            return
        raise EndpointConnectionError(endpoint_url="http://dynamodb.invalid")

    def __enter__(self) -> FailingDynamoDB:
        self.events.register_first("before-call.dynamodb", self)
        return self

    def __exit__(self, *_: object) -> None:
        self.events.unregister("before-call.dynamodb", self)


@pytest.mark.parametrize("trigger", ["PostAuthentication_Authentication", "PostConfirmation_ConfirmSignUp"])
def test_login_attaches_only_to_open_free_auto_contracts(unique, trigger):
    # Given an organization with one open free auto contract and five that SSO must not join
    org = sso_organization(unique)
    joinable = contract(org, "Auto free")
    priced = contract(org, "Auto priced", price=Decimal("49.00"))
    managed = contract(org, "Managed", MembershipType.MANAGED)
    code = contract(org, "Code", MembershipType.CODE)
    ended = contract(org, "Ended", start=utcnow() - timedelta(days=30), end=utcnow() - timedelta(days=1))
    event = cognito_event(trigger, f"user-{unique}", org.sso_organization_id)

    # When the user signs in
    returned = handler.lambda_handler(event, generate_context())

    # Then the event comes back unchanged and only the free auto contract has them
    assert returned == cognito_event(trigger, f"user-{unique}", org.sso_organization_id)
    # (on a loaded machine the 2 s budget may run out: then the queue finishes the login)
    assert eventually(lambda: contracts_of(f"user-{unique}") == {joinable.id})
    assert {priced.id, managed.id, code.id, ended.id}.isdisjoint(contracts_of(f"user-{unique}"))


def test_twenty_contracts_one_login_concurrently_within_request_budget(unique, ddb_requests):
    # Given an organization with 20 open auto contracts
    org = sso_organization(unique)
    ids = {contract(org, f"Auto {i}").id for i in range(20)}
    ddb_requests.reset()

    # When a learner logs in for the first time
    started = time.perf_counter()
    # (a generous budget: this test counts requests; bench/bench_sso.py measures time)
    outcome = sso.login_within_budget(f"many-{unique}", [org.sso_organization_id], 30.0)
    elapsed = time.perf_counter() - started
    calls = list(ddb_requests.calls)

    # Then all 20 are joined with at most 2 + 20 DynamoDB requests
    assert outcome.complete
    assert set(outcome.attached) == ids
    assert contracts_of(f"many-{unique}") == ids
    assert len(calls) <= 2 + 20, calls
    assert calls.count("TransactWriteItems") == 20
    assert elapsed < 30.0

    # And a second login joins nothing new, with three reads and no write
    ddb_requests.reset()
    again = sso.login_within_budget(f"many-{unique}", [org.sso_organization_id], 30.0)
    assert ddb_requests.calls == ["BatchGetItem", "Query", "BatchGetItem"]
    assert set(again.already_attached) == ids

    # And once a 21st contract opens, the next login joins just that one
    newer = contract(org, "Auto 21").id
    ddb_requests.reset()
    third = sso.login_within_budget(f"many-{unique}", [org.sso_organization_id], 30.0)
    assert third.attached == [newer]
    assert ddb_requests.calls.count("TransactWriteItems") == 1


def test_hundred_logins_race_for_ten_seats(unique):
    # Given an auto contract capped at 10
    org = sso_organization(unique)
    capped = contract(org, "Capped", max_learners=10)

    # When 100 distinct learners log in at once
    def login(i: int) -> sso.LoginOutcome:
        return sso.sync_memberships(f"racer-{unique}-{i}", [org.sso_organization_id])

    with ThreadPoolExecutor(max_workers=25) as pool:
        outcomes = list(pool.map(login, range(100)))

    # Then exactly 10 got a seat, and the others were refused for a full contract, never over-filled
    assert sum(capped.id in o.attached for o in outcomes) == 10
    assert sum(capped.id in o.full for o in outcomes) == 90
    assert contract_repo.get_seats_taken(capped.id) == 10
    assert len(memberships.list_learners(capped.id, 100, None).items) == 10


def test_trigger_fails_open_when_dynamodb_fails_and_the_queue_completes_it(unique, resources):
    # Given an organization with an auto contract, and DynamoDB failing every request
    org = sso_organization(unique)
    joinable = contract(org, "Auto")
    user = f"outage-{unique}"
    event = cognito_event("PostAuthentication_Authentication", user, org.sso_organization_id)

    # When the user signs in
    with FailingDynamoDB():
        started = time.perf_counter()
        returned = handler.lambda_handler(event, generate_context())
        elapsed = time.perf_counter() - started

    # Then the event is returned unchanged within the budget and the login waits on the queue
    assert returned == cognito_event("PostAuthentication_Authentication", user, org.sso_organization_id)
    assert elapsed < 2.0
    assert contracts_of(user) == set()

    # When DynamoDB is back and the worker takes the message
    run_sso_worker(resources)

    # Then the learner is attached
    assert eventually(lambda: contracts_of(user) == {joinable.id})


def test_trigger_hands_off_when_dynamodb_is_too_slow(unique, resources):
    # Given DynamoDB answering only after 1.5 s
    org = sso_organization(unique)
    joinable = contract(org, "Auto")
    user = f"slow-{unique}"

    # When the login has a 0.4 s budget
    with FailingDynamoDB(stall_seconds=1.5):
        started = time.perf_counter()
        outcome = sso.login_within_budget(user, [org.sso_organization_id], 0.4)
        elapsed = time.perf_counter() - started

    # Then it returns on time, incomplete, and the queue finishes the job
    assert elapsed < 1.4  # the budget, plus handing off to the queue
    assert not outcome.complete
    time.sleep(1.6)  # let the stalled calls of the first attempt drain
    run_sso_worker(resources)
    assert eventually(lambda: contracts_of(user) == {joinable.id})


def test_user_whose_attribute_no_longer_names_the_org_leaves_sso_contracts_only(unique):
    # Given a learner SSO attached to two auto contracts, one of which an admin also added them to
    org = sso_organization(unique)
    first = contract(org, "First")
    second = contract(org, "Second")
    user = f"leaver-{unique}"
    handler.lambda_handler(
        cognito_event("PostAuthentication_Authentication", user, org.sso_organization_id), generate_context()
    )
    assert eventually(lambda: contracts_of(user) == {first.id, second.id})
    memberships.detach(second.id, user)
    memberships.attach(memberships.membership_for(second.id, user, "admin", utcnow()))

    # When they sign in without the organization attribute
    handler.lambda_handler(cognito_event("PostAuthentication_Authentication", user, None), generate_context())

    # Then the SSO membership is gone, its seat returned, and the admin one stays
    assert eventually(lambda: contracts_of(user) == {second.id})
    assert contract_repo.get_seats_taken(first.id) == 0


def test_unknown_organization_attaches_nothing(unique):
    outcome = sso.login_within_budget(f"nobody-{unique}", [f"missing-{unique}"], 30.0)
    assert outcome.complete
    assert outcome.unknown_organizations == [f"missing-{unique}"]
    assert contracts_of(f"nobody-{unique}") == set()
