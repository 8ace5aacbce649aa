"""Contracts against DynamoDB and SQS (moto server)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from b2b.db import contracts as repo
from b2b.domain.errors import Conflict, InvalidInput, NotFound
from b2b.domain.model import MembershipType
from b2b.services import contracts, organizations


@pytest.fixture
def org(unique):
    return organizations.register_organization(name=f"Contract Org {unique}")


def test_create_costs_two_requests_and_get_one(org, ddb_requests):
    contract = contracts.create_contract(
        organization_id=org.id,
        name="Capped",
        membership_type=MembershipType.CODE,
        max_learners=200,
        price=Decimal("9.99"),
    )
    assert ddb_requests.calls == ["UpdateItem", "TransactWriteItems"]

    ddb_requests.reset()
    stored = contracts.get_contract(contract.id)
    assert ddb_requests.calls == ["GetItem"]
    assert stored == contract
    assert repo.get_seats_taken(contract.id) == 0


def test_create_for_a_missing_organization_writes_nothing():
    with pytest.raises(NotFound):
        contracts.create_contract(
            organization_id=9_999_999, name="Orphan", membership_type=MembershipType.AUTO
        )


def test_create_by_name_can_create_the_organization(unique):
    with pytest.raises(NotFound):
        contracts.resolve_organization_id(None, f"New Org {unique}", create_organization=False)
    org_id = contracts.resolve_organization_id(None, f"New Org {unique}", create_organization=True)
    assert organizations.get_organization(org_id).name == f"New Org {unique}"
    # A second call finds the same organization instead of creating another.
    assert contracts.resolve_organization_id(None, f"New Org {unique}", create_organization=True) == org_id


def test_patch_sets_and_removes_and_bumps_the_version(org):
    contract = contracts.create_contract(
        organization_id=org.id,
        name="Patchable",
        membership_type=MembershipType.CODE,
        max_learners=10,
        price=Decimal(5),
    )
    end = datetime(2031, 1, 1, tzinfo=UTC)
    changed = contracts.change_contract(contract.id, {"max_learners": None, "price": None, "end": end})
    assert (changed.max_learners, changed.price, changed.end, changed.version) == (None, None, end, 2)
    assert contracts.get_contract(contract.id) == changed


def test_stale_if_match_is_a_conflict_and_changes_nothing(org):
    contract = contracts.create_contract(
        organization_id=org.id, name="Locked", membership_type=MembershipType.AUTO
    )
    contracts.change_contract(contract.id, {"name": "Locked v2"})
    with pytest.raises(Conflict):
        contracts.change_contract(contract.id, {"name": "stale"}, expected_version=1)
    assert contracts.get_contract(contract.id).name == "Locked v2"


def test_end_before_start_is_refused_naming_end(org):
    contract = contracts.create_contract(
        organization_id=org.id,
        name="Dated",
        membership_type=MembershipType.AUTO,
        start=datetime(2030, 1, 1, tzinfo=UTC),
    )
    with pytest.raises(InvalidInput) as error:
        contracts.change_contract(contract.id, {"end": datetime(2029, 1, 1, tzinfo=UTC)})
    assert error.value.details[0].field == "end"


def test_every_change_queues_a_reconcile_in_the_contract_group(org, monkeypatch):
    # Given a spy on the SQS client (the local stack's poller may be consuming the same queue)
    from b2b import queues

    sent: list[dict] = []
    real = queues._sqs_client()

    class Spy:
        def send_message(self, **kwargs):
            sent.append(kwargs)
            return real.send_message(**kwargs)

    monkeypatch.setattr(queues, "_sqs_client", Spy)
    # When a contract is created, changed and deactivated
    contract = contracts.create_contract(
        organization_id=org.id, name="Queued", membership_type=MembershipType.CODE
    )
    contracts.change_contract(contract.id, {"max_learners": 5})
    contracts.deactivate_contract(contract.id)
    # Then each change was queued, in the contract's FIFO group, with a distinct deduplication id
    bodies = [json.loads(m["MessageBody"]) for m in sent]
    assert [b["reason"] for b in bodies] == ["contract_created", "contract_changed", "contract_changed"]
    assert [b["contract_version"] for b in bodies] == [1, 2, 3]
    assert {m["MessageGroupId"] for m in sent} == {str(contract.id)}
    assert len({m["MessageDeduplicationId"] for m in sent}) == 3


def test_contracts_of_an_org_is_one_query_per_page(org, ddb_requests):
    for i in range(3):
        contracts.create_contract(organization_id=org.id, name=f"C{i}", membership_type=MembershipType.AUTO)
    ddb_requests.reset()
    first = contracts.list_contracts(org.id, 2, None)
    assert ddb_requests.calls == ["Query"]
    second = contracts.list_contracts(org.id, 2, first.next_cursor)
    assert [c.name for c in first.items + second.items] == ["C0", "C1", "C2"]


def test_deactivate_keeps_the_contract(org):
    contract = contracts.create_contract(
        organization_id=org.id, name="Soft", membership_type=MembershipType.AUTO
    )
    contracts.deactivate_contract(contract.id)
    stored = contracts.get_contract(contract.id)
    assert stored.active is False
    assert stored.is_open(datetime.now(UTC)) is False
