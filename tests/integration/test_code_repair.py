"""Repairing code drift: a reconcile on request, and the sweep that finds drift, counts drift that
outlives a sweep, forgets healed contracts and resumes a pass where a short run stopped."""

from __future__ import annotations

import pytest
from b2b.db import drift as drift_repo
from b2b.domain.errors import NotFound
from b2b.queues import ReconcileRequest
from b2b.services import code_repair
from b2b.services.code_reports import code_health

from tests.codes_support import add_products, make_contract, reconcile_all


def test_a_reconcile_on_request_names_the_contract_and_a_fresh_change(unique):
    # Given a contract
    contract = make_contract(unique, max_learners=2)
    sent: list[ReconcileRequest] = []
    # When a reconcile is asked for twice
    first = code_repair.request_reconcile(contract.id, publish=sent.append)
    second = code_repair.request_reconcile(contract.id, publish=sent.append)
    # Then two requests were queued, each its own change (FIFO deduplication keeps both)
    assert [r.contract_id for r in sent] == [contract.id, contract.id]
    assert first.change_id != second.change_id
    assert {r.reason for r in sent} == {"manual"}
    with pytest.raises(NotFound):
        code_repair.request_reconcile(999_999_999, publish=sent.append)


def test_the_sweep_queues_repairs_and_counts_drift_that_outlives_a_sweep(unique):
    # Given a capped contract whose codes were never reconciled (its message was lost)
    contract = make_contract(unique, max_learners=2)
    add_products(contract, 1)
    assert not code_health(contract.id).healthy
    sent: list[ReconcileRequest] = []

    # When the sweep runs, and runs again before the repair was applied
    first = code_repair.sweep(publish=sent.append)
    second = code_repair.sweep(publish=sent.append)

    # Then each run queued a reconcile for it, and the second counts it as drift that outlived a sweep
    assert contract.id in first.drifting and contract.id not in first.persisted
    assert contract.id in second.persisted
    assert [r.reason for r in sent if r.contract_id == contract.id] == ["drift", "drift"]
    assert drift_repo.drifting_contracts()[contract.id] == 2

    # When the repair is applied and the sweep runs again
    reconcile_all(contract.id)
    third = code_repair.sweep(publish=sent.append)

    # Then the contract is healed and its marker gone
    assert contract.id in third.healed
    assert contract.id not in drift_repo.drifting_contracts()


def test_a_short_run_saves_its_place_and_the_next_goes_on(unique, monkeypatch):
    # Given three contracts, one drifting, and pages of one contract
    for n in range(2):
        make_contract(f"{unique}{n}")
    drifting = make_contract(f"{unique}D", max_learners=1)
    add_products(drifting, 1)
    monkeypatch.setattr(code_repair, "_PAGE", 1)
    sent: list[ReconcileRequest] = []
    # When every run has no time left after its first page
    short = code_repair.sweep(publish=sent.append, time_left=lambda: 0.0)
    # Then it stops with its position saved
    assert not short.finished
    assert drift_repo.sweep_position() is not None
    # And further runs go on from there until the pass is done, meeting each contract once
    checked, runs = short.checked, 1
    while True:
        run = code_repair.sweep(publish=sent.append, time_left=lambda: 0.0)
        checked += run.checked
        runs += 1
        if run.finished:
            break
    assert drift_repo.sweep_position() is None
    assert runs >= 3  # one contract a page, a page a run
    assert [r.contract_id for r in sent].count(drifting.id) == 1
