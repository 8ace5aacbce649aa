"""Drift markers: which contracts the scheduled sweep found with codes out of line, and for how long."""

from __future__ import annotations

from datetime import datetime

from b2b.db import keys
from b2b.db.errors import translate_errors
from b2b.db.models import DriftMarkerItem, SweepPositionItem


def record_drift(contract_id: int, now: datetime) -> int:
    """Count one more sweep that found the contract drifting (one UpdateItem); returns the count."""
    item = DriftMarkerItem(pk=keys.contract_pk(contract_id), sk=keys.DRIFT_SK)
    with translate_errors():
        item.update(
            actions=[
                DriftMarkerItem.entity.set(DriftMarkerItem),
                DriftMarkerItem.contract_id.set(contract_id),
                DriftMarkerItem.gsi2pk.set(keys.DRIFTING_GSI2_PK),
                DriftMarkerItem.gsi2sk.set(keys.contract_gsi_sk(contract_id)),
                DriftMarkerItem.first_seen_at.set(DriftMarkerItem.first_seen_at | now),
                DriftMarkerItem.last_seen_at.set(now),
                DriftMarkerItem.sweeps.add(1),
            ]
        )
    return int(item.sweeps)


def clear_drift(contract_id: int) -> None:
    """The contract is healthy again: drop its marker (one DeleteItem)."""
    with translate_errors():
        DriftMarkerItem(pk=keys.contract_pk(contract_id), sk=keys.DRIFT_SK).delete()


def drifting_contracts() -> dict[int, int]:
    """Contracts with a drift marker → sweeps in a row that found them drifting (Query on gsi2)."""
    with translate_errors():
        found: dict[int, int] = {}
        for item in DriftMarkerItem.gsi2.query(keys.DRIFTING_GSI2_PK):
            if isinstance(item, DriftMarkerItem):
                found[int(item.contract_id)] = int(item.sweeps or 0)
        return found


def sweep_position() -> tuple[str, datetime] | None:
    """Where the last sweep stopped, and when its pass began (None: start a new pass)."""
    with translate_errors():
        try:
            item = SweepPositionItem.get(keys.SWEEP_PK, keys.SWEEP_SK, consistent_read=True)
        except SweepPositionItem.DoesNotExist:
            return None
    return item.cursor, item.pass_started_at


def save_sweep_position(cursor: str | None, pass_started_at: datetime) -> None:
    """Remember where to go on (or forget it once a pass is complete)."""
    item = SweepPositionItem(
        pk=keys.SWEEP_PK, sk=keys.SWEEP_SK, cursor=cursor or "", pass_started_at=pass_started_at
    )
    with translate_errors():
        if cursor is None:
            item.delete()
        else:
            item.save()
