"""Publishing the table's committed changes: business events to the bus, enrollments to the LMS
sync queue (the stream publisher's logic)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from b2b import eventbus, queues
from b2b.domain.events import DomainEvent, ItemChange, events_of
from b2b.observability import metrics


class ChangesNotPublished(Exception):
    """Publishing stopped at ``first_failed`` (an index into the changes); the ones before it are out."""

    def __init__(self, first_failed: int, reason: str) -> None:
        super().__init__(reason)
        self.first_failed = first_failed


@dataclass(frozen=True)
class PublishReport:
    events: list[DomainEvent]
    lms_syncs: int


def publish_changes(changes: Sequence[ItemChange]) -> PublishReport:
    """Put the events of ``changes`` on the bus in order, then queue an LMS sync per enrollment event.

    Raises :class:`ChangesNotPublished` naming the first change whose events did not all get out;
    retrying from that change may publish some events again (consumers deduplicate on ``change_id``).
    """
    events: list[DomainEvent] = []
    owner: list[int] = []  # change index of each event
    for index, change in enumerate(changes):
        for event in events_of(change):
            events.append(event)
            owner.append(index)
    try:
        eventbus.publish(events)
    except eventbus.EventsNotPublished as exc:
        raise ChangesNotPublished(owner[exc.first_failed], str(exc)) from exc
    syncs = [
        queues.LmsSyncRequest(
            user_id=event.detail["user_id"],
            run_id=event.detail["run_id"],
            change_id=event.detail["change_id"],
        )
        for event in events
        if event.is_enrollment
    ]
    try:
        queues.request_lms_sync(syncs)
    except Exception as exc:
        first = next(i for i, event in enumerate(events) if event.is_enrollment)
        raise ChangesNotPublished(owner[first], f"LMS syncs not queued: {exc}") from exc
    for event in events:
        metrics.add_metric(name=f"Event_{event.detail_type}", unit="Count", value=1)
    return PublishReport(events=events, lms_syncs=len(syncs))
