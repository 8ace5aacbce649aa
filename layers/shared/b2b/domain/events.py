"""Business events derived from changes to items of the table (the outbox read from its stream).

A committed change to an item has exactly one stream record with its old and new image; an
aborted transaction has none. :func:`events_of` turns one such change into the events it means,
using one mapper per item kind in :data:`MAPPERS`. An item kind without a mapper means nothing to
anyone outside (counters, guards, receipts, and kinds added later until they get an entry), so new
kinds are one entry each.

Images arrive as plain dicts (numbers as :class:`~decimal.Decimal`, dates as the table stores
them); every event's ``detail`` is plain JSON and matches its schema under ``docs/events/``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

Image = Mapping[str, Any]
SOURCE = "b2b.contracts"

LEARNER_ATTACHED = "b2b.learner.attached.v1"
LEARNER_DETACHED = "b2b.learner.detached.v1"
ENROLLMENT_CREATED = "b2b.enrollment.created.v1"
ENROLLMENT_ENDED = "b2b.enrollment.ended.v1"
CODE_REDEEMED = "b2b.code.redeemed.v1"
CONTRACT_CREATED = "b2b.contract.created.v1"
CONTRACT_CHANGED = "b2b.contract.changed.v1"
CONTRACT_DEACTIVATED = "b2b.contract.deactivated.v1"
COURSEWARE_ATTACHED = "b2b.courseware.attached.v1"
COURSEWARE_DETACHED = "b2b.courseware.detached.v1"

EVENT_TYPES = (
    LEARNER_ATTACHED,
    LEARNER_DETACHED,
    ENROLLMENT_CREATED,
    ENROLLMENT_ENDED,
    CODE_REDEEMED,
    CONTRACT_CREATED,
    CONTRACT_CHANGED,
    CONTRACT_DEACTIVATED,
    COURSEWARE_ATTACHED,
    COURSEWARE_DETACHED,
)
# The enrollment events the LMS sync worker acts on.
ENROLLMENT_EVENTS = frozenset({ENROLLMENT_CREATED, ENROLLMENT_ENDED})

# Contract fields whose change is a change of terms (what codes sell and who may join).
CONTRACT_TERMS = ("membership_type", "price", "max_learners", "start", "end", "active")


@dataclass(frozen=True)
class ItemChange:
    """One committed write: the item before (None when created) and after (None when deleted).

    ``change_id`` identifies the write (the stream record's id): redeliveries of one change carry
    the same id, so consumers deduplicate on it. ``at`` is when the change was committed.
    """

    change_id: str
    at: datetime
    old: Image | None
    new: Image | None


@dataclass(frozen=True)
class DomainEvent:
    """One business event: ``detail_type`` names it and its version, ``detail`` is plain JSON."""

    detail_type: str
    detail: dict[str, Any]

    @property
    def is_enrollment(self) -> bool:
        return self.detail_type in ENROLLMENT_EVENTS


Mapper = Callable[[ItemChange], list["DomainEvent"]]


def _json(value: Any) -> Any:
    """A stored value as plain JSON: integral numbers as ints, others as decimal strings."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def _timestamp(value: Any) -> str | None:
    """A stored date (``2024-05-01T10:00:00.000000+0000``) as ISO 8601 with ``Z``; None stays None."""
    if value is None:
        return None
    text = str(value)
    try:
        parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return text
    return parsed.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _event(detail_type: str, change: ItemChange, **fields: Any) -> DomainEvent:
    detail = {
        "change_id": change.change_id,
        "occurred_at": change.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        **fields,
    }
    return DomainEvent(detail_type, detail)


def _membership(change: ItemChange) -> list[DomainEvent]:
    if change.old is None and change.new is not None:
        item = change.new
        return [
            _event(
                LEARNER_ATTACHED,
                change,
                contract_id=_json(item["contract_id"]),
                user_id=item["user_id"],
                source=item["source"],
                attached_at=_timestamp(item.get("attached_at")),
            )
        ]
    if change.new is None and change.old is not None:
        item = change.old
        return [
            _event(
                LEARNER_DETACHED,
                change,
                contract_id=_json(item["contract_id"]),
                user_id=item["user_id"],
                source=item["source"],
            )
        ]
    return []


def _enrollment_fields(item: Image) -> dict[str, Any]:
    return {
        "user_id": item["user_id"],
        "run_id": item["run_id"],
        "contract_id": _json(item.get("contract_id")),
        "product_id": _json(item.get("product_id")),
        "source": item["source"],
        "status": item.get("status", "active"),
    }


def _enrollment(change: ItemChange) -> list[DomainEvent]:
    old_status = change.old.get("status", "active") if change.old is not None else None
    new_status = change.new.get("status", "active") if change.new is not None else None
    if change.new is None or old_status == new_status:
        # Writes that leave the status alone (the LMS sync state, for one) mean nothing outside.
        return []
    fields = _enrollment_fields(change.new)
    if new_status == "unenrolled":
        return [_event(ENROLLMENT_ENDED, change, **fields)]
    return [
        _event(
            ENROLLMENT_CREATED,
            change,
            **fields,
            enrolled_at=_timestamp(change.new.get("enrolled_at")),
            reenrolled=change.old is not None,
        )
    ]


def _code(change: ItemChange) -> list[DomainEvent]:
    if change.new is None:
        return []
    new = change.new
    old_uses = int(change.old.get("redemptions", 0)) if change.old is not None else 0
    new_uses = int(new.get("redemptions", 0))
    old_status = change.old.get("status") if change.old is not None else None
    became_redeemed = new.get("status") == "redeemed" and old_status != "redeemed"
    if not became_redeemed and new_uses <= old_uses:
        return []
    code = str(new.get("code", ""))
    return [
        _event(
            CODE_REDEEMED,
            change,
            contract_id=_json(new["contract_id"]),
            product_id=_json(new["product_id"]),
            # Codes are bearer secrets: consumers get the last four characters only.
            code_suffix=code[-4:],
            kind=new.get("kind"),
            redeemed_by=new.get("redeemed_by"),
            redemptions=new_uses,
        )
    ]


def _contract_terms(item: Image) -> dict[str, Any]:
    return {
        "membership_type": item.get("membership_type"),
        "price": _json(item.get("price")),
        "max_learners": _json(item.get("max_learners")),
        "start": _timestamp(item.get("start")),
        "end": _timestamp(item.get("end")),
        "active": bool(item.get("active", True)),
    }


def _contract(change: ItemChange) -> list[DomainEvent]:
    if change.new is None:
        return []
    new = change.new
    identity = {
        "contract_id": _json(new["contract_id"]),
        "organization_id": _json(new.get("organization_id")),
        "name": new.get("name"),
    }
    terms = _contract_terms(new)
    if change.old is None:
        return [_event(CONTRACT_CREATED, change, **identity, terms=terms)]
    before = _contract_terms(change.old)
    changed = [name for name in CONTRACT_TERMS if before[name] != terms[name]]
    if not changed:
        return []
    if changed == ["active"] and not terms["active"]:
        return [_event(CONTRACT_DEACTIVATED, change, **identity)]
    return [_event(CONTRACT_CHANGED, change, **identity, changed=changed, before=before, terms=terms)]


def _courseware(change: ItemChange) -> list[DomainEvent]:
    if change.old is None and change.new is not None:
        item = change.new
        return [
            _event(
                COURSEWARE_ATTACHED,
                change,
                contract_id=_json(item["contract_id"]),
                courseware_id=item["courseware_id"],
                kind=item["kind"],
            )
        ]
    if change.new is None and change.old is not None:
        item = change.old
        return [
            _event(
                COURSEWARE_DETACHED,
                change,
                contract_id=_json(item["contract_id"]),
                courseware_id=item["courseware_id"],
                kind=item["kind"],
            )
        ]
    return []


# Item kind (the ``entity`` attribute) → what its changes mean. One entry per kind.
MAPPERS: dict[str, Mapper] = {
    "membership": _membership,
    "enrollment": _enrollment,
    "code": _code,
    "contract": _contract,
    "courseware_link": _courseware,
}


def events_of(change: ItemChange) -> list[DomainEvent]:
    """The business events one committed change means (none for kinds without a mapper)."""
    image = change.new if change.new is not None else change.old
    if image is None:
        return []
    mapper = MAPPERS.get(str(image.get("entity", "")))
    return mapper(change) if mapper is not None else []
