"""EventBridge adapter: puts business events on the custom bus, ten to a PutEvents call."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from b2b.domain.events import SOURCE, DomainEvent
from b2b.observability import logger
from b2b.settings import get_settings

# PutEvents takes at most ten entries per call.
PUT_EVENTS_LIMIT = 10


class EventsNotPublished(Exception):
    """EventBridge did not accept some events; ``first_failed`` is the index of the first one."""

    def __init__(self, first_failed: int, reason: str) -> None:
        super().__init__(reason)
        self.first_failed = first_failed


@lru_cache(maxsize=1)
def _events_client() -> Any:
    import boto3  # noqa: PLC0415 - only the publisher pays for it

    return boto3.client("events", region_name=get_settings().aws_region)


def entry_of(event: DomainEvent, bus_name: str) -> dict[str, Any]:
    """The PutEvents entry for ``event``."""
    return {
        "Source": SOURCE,
        "DetailType": event.detail_type,
        "Detail": json.dumps(event.detail, separators=(",", ":")),
        "EventBusName": bus_name,
    }


def publish(events: Sequence[DomainEvent]) -> None:
    """Put ``events`` on the bus in order; raises :class:`EventsNotPublished` naming the first event
    that was not accepted (the ones before it are on the bus)."""
    bus_name = get_settings().event_bus_name
    if not events:
        return
    if not bus_name:
        logger.warning("EVENT_BUS_NAME is not set; events not published", extra={"events": len(events)})
        return
    for start in range(0, len(events), PUT_EVENTS_LIMIT):
        chunk = events[start : start + PUT_EVENTS_LIMIT]
        response = _events_client().put_events(Entries=[entry_of(e, bus_name) for e in chunk])
        if response.get("FailedEntryCount"):
            results = response.get("Entries", [])
            failed = next((i for i, r in enumerate(results) if r.get("ErrorCode")), 0)
            reason = str(results[failed].get("ErrorMessage")) if results else "PutEvents failed"
            raise EventsNotPublished(start + failed, reason)
