"""Repairing code drift: a reconcile on request, and the scheduled sweep that finds drift by itself.

A reconcile message can be lost (a publish that failed after the contract was saved, a message
dead-lettered and discarded). Nothing else would bring that contract's codes back in line, so:

* an operator asks for a reconcile (``POST /v1/contracts/{id}/reconcile``, ``b2b codes reconcile``);
* the sweep runs the health check over every open contract and queues a reconcile for each
  unhealthy one. A contract still unhealthy at the next sweep has outlived its repair: that is
  counted (``CodeDriftPersisted``) and alarmed on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from b2b import queues
from b2b.db import contracts as contracts_repo
from b2b.db import drift as drift_repo
from b2b.domain.model import utcnow
from b2b.observability import logger, metrics
from b2b.services.codes import code_health

Publisher = Callable[[queues.ReconcileRequest], None]
_PAGE = 100


def request_reconcile(contract_id: int, *, publish: Publisher | None = None) -> queues.ReconcileRequest:
    """Queue a reconcile of one contract's codes now (404 for an unknown contract)."""
    contract = contracts_repo.get_contract(contract_id)
    request = queues.ReconcileRequest(
        contract_id=contract.id, reason="manual", contract_version=contract.version
    )
    (publish or queues.request_reconcile)(request)
    logger.info("reconcile requested", extra={"contract_id": contract.id, "change_id": request.change_id})
    return request


@dataclass
class SweepOutcome:
    """What one sweep saw: open contracts checked, those drifting, and those still drifting."""

    checked: int = 0
    drifting: list[int] = field(default_factory=list)
    persisted: list[int] = field(default_factory=list)
    healed: list[int] = field(default_factory=list)


def sweep(now: datetime | None = None, *, publish: Publisher | None = None) -> SweepOutcome:
    """Check the codes of every open contract; queue a reconcile for each unhealthy one.

    Reads every contract (paged Query on gsi2) and, for open ones, every code (the health check).
    """
    now = now or utcnow()
    send = publish or queues.request_reconcile
    outcome = SweepOutcome()
    marked = drift_repo.drifting_contracts()
    cursor: str | None = None
    while True:
        page = contracts_repo.list_contracts(None, _PAGE, cursor)
        for contract in page.items:
            if not contract.is_open(now):
                continue
            outcome.checked += 1
            health = code_health(contract.id)
            if health.healthy:
                if contract.id in marked:
                    drift_repo.clear_drift(contract.id)
                    outcome.healed.append(contract.id)
                continue
            outcome.drifting.append(contract.id)
            sweeps = drift_repo.record_drift(contract.id, now)
            if sweeps > 1:
                outcome.persisted.append(contract.id)
            send(
                queues.ReconcileRequest(
                    contract_id=contract.id, reason="drift", contract_version=contract.version
                )
            )
            logger.warning(
                "code drift found; reconcile queued",
                extra={
                    "contract_id": contract.id,
                    "sweeps_in_a_row": sweeps,
                    "problems": [p for product in health.products for p in product.problems][:10],
                },
            )
        cursor = page.next_cursor
        if cursor is None:
            break
    # A marked contract that is no longer open is no longer swept: its marker goes.
    for contract_id in set(marked) - set(outcome.drifting) - set(outcome.healed):
        drift_repo.clear_drift(contract_id)
    metrics.add_metric(name="ContractsSwept", unit=MetricUnit.Count, value=outcome.checked)
    metrics.add_metric(name="CodeDriftFound", unit=MetricUnit.Count, value=len(outcome.drifting))
    metrics.add_metric(name="CodeDriftPersisted", unit=MetricUnit.Count, value=len(outcome.persisted))
    return outcome
