"""Deduplication of webhook deliveries by the sender's event id (``WEBHOOK_EVENT#<source>#<id>``).

A delivery first *claims* the event: one conditional PutItem that succeeds when the event is new,
or when an earlier delivery claimed it and its lease ran out without finishing (it crashed or timed
out). Once the event's work is done, or safely queued, the delivery marks it ``done``; a retry of a
done event is answered without doing anything. A delivery that fails before that releases its
claim, so the sender's retry does the work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pynamodb.exceptions import DoesNotExist, PutError

from b2b.db import keys
from b2b.db.errors import CONDITION_FAILED, translate_errors
from b2b.db.models import WebhookEventItem

ClaimOutcome = Literal["claimed", "done", "in_progress"]


def _item(
    source: str, event_id: str, *, state: str, lease_until: int, now: datetime, keep_seconds: int
) -> WebhookEventItem:
    return WebhookEventItem(
        pk=keys.webhook_event_pk(source, event_id),
        sk=keys.WEBHOOK_EVENT_SK,
        source=source,
        event_id=event_id,
        state=state,
        lease_until=lease_until,
        received_at=now,
        expires_at=int(now.timestamp()) + keep_seconds,
    )


def claim(source: str, event_id: str, now: datetime, lease_seconds: int, keep_seconds: int) -> ClaimOutcome:
    """Claim the event for this delivery: one conditional PutItem (plus one GetItem when refused,
    to tell a finished event from one another delivery is still working on)."""
    epoch = int(now.timestamp())
    item = _item(
        source,
        event_id,
        state="pending",
        lease_until=epoch + lease_seconds,
        now=now,
        keep_seconds=keep_seconds,
    )
    condition = WebhookEventItem.pk.does_not_exist() | (
        (WebhookEventItem.state == "pending") & (WebhookEventItem.lease_until < epoch)
    )
    with translate_errors():
        try:
            item.save(condition=condition)
            return "claimed"
        except PutError as exc:
            if exc.cause_response_code != CONDITION_FAILED:
                raise
        try:
            current = WebhookEventItem.get(item.pk, item.sk, consistent_read=True)
        except DoesNotExist:
            return "in_progress"  # released between the two requests: the next retry claims it
    return "done" if current.state == "done" else "in_progress"


def finish(source: str, event_id: str, now: datetime, keep_seconds: int) -> None:
    """Mark the event done: later deliveries of it change nothing (one PutItem)."""
    with translate_errors():
        _item(source, event_id, state="done", lease_until=0, now=now, keep_seconds=keep_seconds).save()


def release(source: str, event_id: str) -> None:
    """Give up the claim so the sender's retry does the work (one DeleteItem, only if still pending)."""
    with translate_errors():
        try:
            WebhookEventItem(pk=keys.webhook_event_pk(source, event_id), sk=keys.WEBHOOK_EVENT_SK).delete(
                condition=WebhookEventItem.state == "pending"
            )
        except Exception as exc:  # already done, or gone: nothing to release
            if getattr(exc, "cause_response_code", None) != CONDITION_FAILED:
                raise
