"""The one retry policy for racing writes: bounded attempts, growing jittered pauses."""

from __future__ import annotations

from b2b.db import retry


def test_pauses_grow_stay_jittered_and_bounded():
    # Given many draws of each attempt's pause
    for attempt in range(retry.ATTEMPTS + 5):
        ceiling = min(0.2, 0.01 * 2**attempt)
        draws = [retry.pause_seconds(attempt) for _ in range(200)]
        # Then each lies between half the ceiling and the ceiling, never past 0.2 s
        assert all(ceiling / 2 <= d <= ceiling for d in draws)
        # And they are spread out (jitter), not one fixed value
        assert max(draws) - min(draws) > ceiling / 10


def test_attempts_are_bounded():
    # Given the policy, Then the last attempt allowed has no retry after it, and earlier ones do
    assert [retry.retry_left(a) for a in range(retry.ATTEMPTS)] == [True] * (retry.ATTEMPTS - 1) + [False]
