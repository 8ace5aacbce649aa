"""SSO attachment orchestration against an in-memory store: attach, return, leave, full, hand off."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from b2b.domain.model import MembershipType, utcnow
from b2b.services import sso

from tests.unit.fakes import FakeSsoStore, make_contract, make_organization

AUTO = MembershipType.AUTO


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> FakeSsoStore:
    # Given organization 1 (SSO id "acme") with three open, free auto contracts, and beside them a
    # code contract, a priced auto contract and an auto contract that ended; organization 2 ("beta")
    # with one auto contract
    fake = FakeSsoStore()
    fake.organizations["acme"] = make_organization(1, "acme")
    fake.organizations["beta"] = make_organization(2, "beta")
    for contract_id in (10, 11, 12):
        fake.add_contract(make_contract(contract_id, 1, membership_type=AUTO))
    fake.add_contract(make_contract(13, 1, membership_type=MembershipType.CODE))
    fake.add_contract(make_contract(14, 1, membership_type=AUTO, price=Decimal(5)))
    fake.add_contract(make_contract(15, 1, membership_type=AUTO, end=utcnow() - timedelta(days=1)))
    fake.add_contract(make_contract(20, 2, membership_type=AUTO))
    monkeypatch.setattr(sso, "store", fake)
    return fake


def _contracts_of(store: FakeSsoStore, user_id: str) -> set[int]:
    return {contract_id for contract_id, user in store.memberships if user == user_id}


def test_a_first_login_attaches_to_every_eligible_contract_and_notes_the_organizations(store):
    # When Alice signs in through Acme for the first time
    outcome = sso.sync_memberships("alice", ["acme"])

    # Then she is in the three open free auto contracts and no other, through SSO
    assert sorted(outcome.attached) == [10, 11, 12]
    assert _contracts_of(store, "alice") == {10, 11, 12}
    assert {store.memberships[(c, "alice")] for c in (10, 11, 12)} == {"sso"}
    # And what was seen is noted once, inside one of the attach transactions (no extra write)
    assert store.seen["alice"] == frozenset({"acme"})
    assert store.markers_written_with_attach == 1


def test_a_returning_learner_costs_no_attach_for_contracts_already_joined(store):
    # Given Alice signed in before, and Acme opened a new auto contract since
    sso.sync_memberships("alice", ["acme"])
    store.add_contract(make_contract(16, 1, membership_type=AUTO))
    calls_before = store.attach_calls

    # When she signs in again
    outcome = sso.sync_memberships("alice", ["acme"])

    # Then only the new contract cost an attach; the others are reported as already attached
    assert outcome.attached == [16]
    assert sorted(outcome.already_attached) == [10, 11, 12]
    assert store.attach_calls - calls_before == 1


def test_leaving_an_organization_detaches_only_what_sso_gave(store):
    # Given Alice joined Acme's contracts through SSO, and an admin also put her in contract 20 of Beta
    sso.sync_memberships("alice", ["acme", "beta"])
    store.memberships[(13, "alice")] = "admin"

    # When her identity provider names only Beta
    outcome = sso.sync_memberships("alice", ["beta"])

    # Then the SSO memberships of Acme are gone, the admin's membership stays, Beta's stays
    assert sorted(outcome.detached) == [10, 11, 12]
    assert _contracts_of(store, "alice") == {13, 20}


def test_a_full_contract_is_refused_and_recorded_never_overfilled(store):
    # Given contract 11 has one seat, taken by Bob
    store.caps[11] = 1
    store.memberships[(11, "bob")] = "sso"

    # When Alice signs in
    outcome = sso.sync_memberships("alice", ["acme"])

    # Then she gets the two other contracts, the refusal is recorded, and 11 still holds one learner
    assert sorted(outcome.attached) == [10, 12]
    assert outcome.full == [11]
    assert store.refusals == [(11, "alice", "contract_full")]
    assert [user for c, user in store.memberships if c == 11] == ["bob"]


def test_an_unknown_organization_is_reported_and_attaches_nothing(store):
    # When a login names an organization nobody registered
    outcome = sso.sync_memberships("alice", ["nobody"])

    # Then it is reported and Alice is in no contract
    assert outcome.unknown_organizations == ["nobody"]
    assert _contracts_of(store, "alice") == set()


def test_a_login_out_of_time_hands_the_rest_to_the_queue(store):
    # Given listing contracts takes longer than the login may wait
    store.delays["contracts_page"] = 0.5

    # When the Cognito trigger's login runs with a 0.1 s budget
    outcome = sso.login_within_budget("alice", ["acme"], budget_seconds=0.1)

    # Then it returns incomplete, and the queue got the rest with what was named
    assert outcome.complete is False
    assert len(store.handed_off) == 1
    request = store.handed_off[0]
    assert (request.reason, request.user_id, request.organization_ids) == ("deadline", "alice", ["acme"])


def test_a_failing_store_never_fails_the_login_and_hands_it_off(store):
    # Given the table refuses the first read
    store.failures["read_login_state"] = RuntimeError("the table is unavailable")

    # When the trigger's login runs, Then it returns (fails open) and queues the login
    outcome = sso.login_within_budget("alice", ["acme"], budget_seconds=1.0)
    assert outcome.complete is False
    assert [r.reason for r in store.handed_off] == ["error"]


def test_a_completed_login_queues_only_its_default_enrollments(store):
    # When the trigger's login attaches Alice within its budget
    outcome = sso.login_within_budget("alice", ["acme"], budget_seconds=5.0)

    # Then it is complete, and the queue gets the default enrollments of the contracts she joined
    assert outcome.complete is True
    assert [(r.reason, r.realize_contract_ids) for r in store.handed_off] == [
        ("default_enrollments", [10, 11, 12])
    ]
