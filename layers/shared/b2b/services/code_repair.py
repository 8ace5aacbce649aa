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
from b2b.domain.errors import NotFound
from b2b.domain.model import Contract, utcnow
from b2b.observability import logger, metrics
from b2b.services.code_reports import code_health

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
    """What one sweep run saw: open contracts checked, those drifting, those still drifting from
    the previous pass, those healed; ``finished`` when the run reached the end of the pass."""

    checked: int = 0
    drifting: list[int] = field(default_factory=list)
    persisted: list[int] = field(default_factory=list)
    healed: list[int] = field(default_factory=list)
    finished: bool = True


# Stop starting new pages of contracts when less than this much Lambda time is left.
TIME_MARGIN_SECONDS = 60.0


def sweep(
    now: datetime | None = None,
    *,
    publish: Publisher | None = None,
    time_left: Callable[[], float] | None = None,
) -> SweepOutcome:
    """Check the codes of every open contract; queue a reconcile for each unhealthy one.

    Reads every contract (paged Query on gsi2) and, for open ones, every code (the health check).
    A pass that runs short of Lambda time saves its position and the next scheduled run goes on
    from there, so a pass over many large contracts spans several runs.
    """
    now = now or utcnow()
    send = publish or queues.request_reconcile
    outcome = SweepOutcome()
    marked = drift_repo.drifting_contracts()
    position = drift_repo.sweep_position()
    cursor, pass_started_at = position if position else (None, now)
    while True:
        page = contracts_repo.list_contracts(None, _PAGE, cursor or None)
        for contract in page.items:
            if not contract.is_open(now):
                continue
            outcome.checked += 1
            _sweep_contract(contract, marked, now, send, outcome)
        cursor = page.next_cursor
        if cursor is None:
            break
        if time_left is not None and time_left() < TIME_MARGIN_SECONDS:
            outcome.finished = False
            break
    drift_repo.save_sweep_position(cursor, pass_started_at)
    if outcome.finished:
        # A marked contract the pass did not find drifting (closed since, or deleted) loses its marker.
        seen = set(outcome.drifting) | set(outcome.healed)
        for contract_id in set(marked) - seen:
            marker_contract_open = _is_open(contract_id, now)
            if not marker_contract_open:
                drift_repo.clear_drift(contract_id)
    metrics.add_metric(name="ContractsSwept", unit=MetricUnit.Count, value=outcome.checked)
    metrics.add_metric(name="CodeDriftFound", unit=MetricUnit.Count, value=len(outcome.drifting))
    metrics.add_metric(name="CodeDriftPersisted", unit=MetricUnit.Count, value=len(outcome.persisted))
    return outcome


def _is_open(contract_id: int, now: datetime) -> bool:
    try:
        return contracts_repo.get_contract(contract_id).is_open(now)
    except NotFound:
        return False


def _sweep_contract(
    contract: Contract, marked: dict[int, int], now: datetime, send: Publisher, outcome: SweepOutcome
) -> None:
    health = code_health(contract.id)
    if health.healthy:
        if contract.id in marked:
            drift_repo.clear_drift(contract.id)
            outcome.healed.append(contract.id)
        return
    outcome.drifting.append(contract.id)
    sweeps = drift_repo.record_drift(contract.id, now)
    if sweeps > 1:
        outcome.persisted.append(contract.id)
    send(queues.ReconcileRequest(contract_id=contract.id, reason="drift", contract_version=contract.version))
    logger.warning(
        "code drift found; reconcile queued",
        extra={
            "contract_id": contract.id,
            "sweeps_in_a_row": sweeps,
            "problems": [p for product in health.products for p in product.problems][:10],
        },
    )
