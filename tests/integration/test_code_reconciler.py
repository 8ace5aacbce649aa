"""The reconciler handler with SQS events, and reconciliation under injected faults."""

from __future__ import annotations

import json
import random
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from b2b.db import codes as code_repo
from b2b.db.table import dynamodb_client
from b2b.queues import ReconcileRequest
from b2b.services.codes import reconcile_codes
from botocore.exceptions import ClientError
from code_reconciler.handler import lambda_handler

from tests.codes_support import add_products, change, make_contract, reconcile_all
from tests.factories import FakeContext

EVENTS = Path(__file__).resolve().parents[2] / "events"


class _Context(FakeContext):
    """A Lambda context with a minute left (the reconciler stops early below 15 s)."""

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def _group(body: str) -> str:
    # As the publisher sets it: one FIFO message group per contract.
    try:
        return str(json.loads(body)["contract_id"])
    except (ValueError, KeyError):
        return "unreadable"


def _sqs_event(*bodies: str, group: str | None = None) -> dict:
    template = json.loads((EVENTS / "code_reconciler_sqs.json").read_text())["Records"][0]
    return {
        "Records": [
            dict(
                template,
                messageId=f"m-{i}",
                body=body,
                attributes=dict(template["attributes"], MessageGroupId=group or _group(body)),
            )
            for i, body in enumerate(bodies)
        ]
    }


def test_a_poison_message_fails_alone(unique, monkeypatch):
    # Given a batch with one malformed message between two good ones (continuations are not queued here)
    monkeypatch.setattr("b2b.queues.request_reconcile", lambda request: None)
    first = make_contract(unique, max_learners=2)
    second = make_contract(unique + "B", max_learners=1)
    add_products(first, 1)
    add_products(second, 1)
    good = [ReconcileRequest(contract_id=c.id, reason="manual").model_dump_json() for c in (first, second)]

    # When the handler processes the batch
    response = lambda_handler(_sqs_event(good[0], '{"contract_id": "x"}', good[1]), _Context())

    # Then only the poison message is reported as failed, and both contracts got their codes
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert len(list(code_repo.contract_codes(first.id))) == 2
    assert len(list(code_repo.contract_codes(second.id))) == 1


def test_after_a_failed_message_its_group_waits_and_other_groups_go_on(unique, monkeypatch):
    # Given a batch where a contract's first message is unreadable, followed by a good message of the
    # same contract's group and a good message of another contract
    monkeypatch.setattr("b2b.queues.request_reconcile", lambda request: None)
    first = make_contract(unique, max_learners=2)
    second = make_contract(unique + "B", max_learners=1)
    add_products(first, 1)
    add_products(second, 1)
    same_group = ReconcileRequest(contract_id=first.id, reason="manual").model_dump_json()
    other_group = ReconcileRequest(contract_id=second.id, reason="manual").model_dump_json()
    event = _sqs_event('{"contract_id": "x"}', same_group, other_group)
    event["Records"][0]["attributes"]["MessageGroupId"] = str(first.id)

    # When the handler processes the batch
    response = lambda_handler(event, _Context())

    # Then the failed message and the later one of its group come back (in order), unrun;
    # the other contract's message ran
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-0"}, {"itemIdentifier": "m-1"}]}
    assert list(code_repo.contract_codes(first.id)) == []
    assert len(list(code_repo.contract_codes(second.id))) == 1


def test_the_sample_event_parses(monkeypatch):
    # Given the sample event of a contract that does not exist
    monkeypatch.setattr("b2b.queues.request_reconcile", lambda request: None)
    event = json.loads((EVENTS / "code_reconciler_sqs.json").read_text())
    event["Records"][0]["body"] = event["Records"][0]["body"].replace(
        '"contract_id": 12', '"contract_id": 987654321'
    )

    # Then it is processed (nothing to do) without a failure
    assert lambda_handler(event, _Context()) == {"batchItemFailures": []}


def test_a_message_stops_at_its_budget_and_hands_on_the_rest(unique):
    # Given 3 products × 4 codes to create and a budget of 5 writes
    contract = make_contract(unique, max_learners=4)
    add_products(contract, 3)

    # When it is reconciled message by message
    outcomes = reconcile_all(contract.id, budget=5)

    # Then no message wrote more than 5 items, continuations carried on, and all 12 codes exist once
    assert max(o.writes for o in outcomes) <= 5
    assert [o.continuation is not None for o in outcomes] == [True, True, False]
    assert all(o.continuation.reason == "continuation" for o in outcomes[:-1])
    assert len({c.code for c in code_repo.contract_codes(contract.id)}) == 12


def test_the_same_message_twice_changes_nothing_more(unique):
    # Given a reconciled contract
    contract = make_contract(unique, max_learners=3, price=Decimal("7"))
    add_products(contract, 2)
    reconcile_all(contract.id)
    before = sorted(code_repo.contract_codes(contract.id), key=lambda c: c.code)

    # When the same request is delivered again
    again = reconcile_all(contract.id)

    # Then nothing is written
    assert sum(o.writes for o in again) == 0
    assert sorted(code_repo.contract_codes(contract.id), key=lambda c: c.code) == before


class _Throttle:
    """A botocore hook failing a share of DynamoDB write calls with a throttling error."""

    WRITES = frozenset({"BatchWriteItem", "UpdateItem", "TransactWriteItems", "PutItem"})

    def __init__(self, rate: float, seed: int = 7) -> None:
        self.rate = rate
        self.random = random.Random(seed)
        self.injected = 0
        self.lock = threading.Lock()
        self.active = False

    def __call__(self, model, **_):
        if not self.active or model.name not in self.WRITES:
            return
        with self.lock:
            fail = self.random.random() < self.rate
            self.injected += fail
        if fail:
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}},
                model.name,
            )


@pytest.fixture
def throttled():
    hook = _Throttle(0.10)
    events = dynamodb_client().meta.events
    events.register("before-call.dynamodb", hook)
    yield hook
    events.unregister("before-call.dynamodb", hook)


def test_reconciliation_converges_under_throttling(unique, throttled):
    # Given 10 % of write calls throttled
    contract = make_contract(unique, max_learners=40, price=Decimal("3"))
    products = add_products(contract, 5)

    # When the contract is reconciled, then its cap lowered and reconciled again (a message that
    # gives up is run again, as SQS redelivers it)
    def reconcile_with_faults():
        throttled.active = True
        try:
            for _ in range(10):
                try:
                    reconcile_all(contract.id, budget=60)
                    return
                except Exception:
                    continue
        finally:
            throttled.active = False

    reconcile_with_faults()
    change(contract, max_learners=30)
    reconcile_with_faults()

    # Then faults were injected and the codes still converged: no duplicate, no lost code, counters right
    assert throttled.injected > 0
    all_codes = list(code_repo.contract_codes(contract.id))
    assert len({c.code for c in all_codes}) == len(all_codes) == 200
    for product in products:
        mine = [c for c in all_codes if c.product_id == product.id]
        assert sum(c.status.value == "available" for c in mine) == 30
        assert len({c.seq for c in mine}) == len(mine)
    from b2b.services.code_reports import code_health

    assert code_health(contract.id).healthy


def test_a_crash_between_writing_and_counting_is_repaired(unique, monkeypatch):
    # Given a run that writes its codes and then dies before counting them
    contract = make_contract(unique, max_learners=5)
    add_products(contract, 2)

    def crash(issued):
        raise RuntimeError("the function stopped here")

    monkeypatch.setattr(code_repo, "record_issued", crash)
    with pytest.raises(RuntimeError):
        reconcile_codes(ReconcileRequest(contract_id=contract.id, reason="manual"), publish=lambda r: None)
    monkeypatch.undo()

    # When the message is delivered again
    reconcile_all(contract.id)

    # Then no extra codes were made and the counters count the codes of the crashed run
    from b2b.services.code_reports import code_health

    assert len(list(code_repo.contract_codes(contract.id))) == 10
    assert code_health(contract.id).healthy
