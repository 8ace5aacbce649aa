"""The one retry policy for writes that lost a race: a bounded number of attempts, with a short,
growing, jittered pause before each retry after a transaction conflict.

Only races are retried here: a transaction DynamoDB cancelled because another one touched the same
items at the same moment (``TransactionConflict``), or a plan made from data that changed before it
was written (the write's condition failed; the caller re-reads and plans again). Throttling is never
retried here: botocore already retries throttled and failed requests (standard mode; PynamoDB's
``max_retry_attempts`` sets how often, see :mod:`b2b.db.table`), and a request that still fails
reaches the caller as :class:`~b2b.domain.errors.Unavailable` (503, retry later).
"""

from __future__ import annotations

import random
import time

ATTEMPTS = 5
"""Attempts of a racing write, the first included."""

_FIRST_PAUSE_SECONDS = 0.01
_LONGEST_PAUSE_SECONDS = 0.2
_jitter = random.Random()  # noqa: S311 - timing jitter, not security


def pause_seconds(attempt: int) -> float:
    """The pause after failed attempt ``attempt`` (0-based): between half and all of 10 ms · 2^attempt,
    at most 0.2 s. The jitter keeps writers that collided once from colliding again in step."""
    ceiling = min(_LONGEST_PAUSE_SECONDS, _FIRST_PAUSE_SECONDS * 2**attempt)
    return _jitter.uniform(ceiling / 2, ceiling)


def pause(attempt: int) -> None:
    """Sleep :func:`pause_seconds` before the next attempt."""
    time.sleep(pause_seconds(attempt))


def retry_left(attempt: int) -> bool:
    """True when attempt ``attempt`` (0-based) is not the last one allowed."""
    return attempt + 1 < ATTEMPTS
