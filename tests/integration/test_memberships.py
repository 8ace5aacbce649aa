"""Seats and memberships: the cap holds under concurrency; a learner takes one seat at most."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from b2b.db import contracts as contract_repo
from b2b.db import memberships
from b2b.domain.errors import Conflict
from b2b.domain.model import MembershipType, utcnow
from b2b.services import contracts, organizations


@pytest.fixture
def capped(unique):
    org = organizations.register_organization(name=f"Seats {unique}")
    return contracts.create_contract(
        organization_id=org.id, name="Capped", membership_type=MembershipType.CODE, max_learners=10
    )


def attach(contract_id: int, user: str) -> str:
    try:
        return memberships.attach(memberships.membership_for(contract_id, user, "admin", utcnow()))
    except Conflict as error:
        return error.code


def test_hundred_learners_racing_for_ten_seats(capped):
    with ThreadPoolExecutor(max_workers=32) as pool:
        outcomes = list(pool.map(lambda i: attach(capped.id, f"racer-{i}"), range(100)))
    assert outcomes.count("attached") == 10
    assert outcomes.count("contract_full") == 90
    assert contract_repo.get_seats_taken(capped.id) == 10
    learners = memberships.list_learners(capped.id, 100, None).items
    assert len(learners) == 10


def test_attaching_twice_takes_one_seat_and_detach_gives_it_back(capped):
    assert attach(capped.id, "twice") == "attached"
    assert attach(capped.id, "twice") == "already_attached"
    assert contract_repo.get_seats_taken(capped.id) == 1
    assert [m.contract_id for m in memberships.list_contracts_of_learner("twice", 10, None).items] == [
        capped.id
    ]

    assert memberships.detach(capped.id, "twice", frozenset({"sso"})) is False  # an admin membership stays
    assert memberships.detach(capped.id, "twice") is True
    assert memberships.detach(capped.id, "twice") is False
    assert contract_repo.get_seats_taken(capped.id) == 0


def test_raising_the_cap_frees_seats(capped):
    for i in range(10):
        attach(capped.id, f"full-{i}")
    assert attach(capped.id, "late") == "contract_full"
    contracts.change_contract(capped.id, {"max_learners": 11})
    assert attach(capped.id, "late") == "attached"
    contracts.change_contract(capped.id, {"max_learners": None})
    assert attach(capped.id, "later") == "attached"
