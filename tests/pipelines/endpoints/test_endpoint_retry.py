"""The retry policy's pieces: which statuses retry, Retry-After parsing, backoff bounds."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from pipelines.endpoints.retry import backoff_delay, is_retryable_status, parse_retry_after


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 529])
def test_retryable_statuses(status: int) -> None:
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 405, 413, 422])
def test_other_client_errors_are_final(status: int) -> None:
    assert not is_retryable_status(status)


def test_retry_after_forms() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after({"retry-after": "3"}, now) == 3.0
    assert parse_retry_after({"retry-after": "0.25"}, now) == 0.25
    assert parse_retry_after({"retry-after-ms": "750", "retry-after": "9"}, now) == 0.75
    assert parse_retry_after({"retry-after": "Wed, 01 Jan 2025 12:00:10 GMT"}, now) == 10.0
    assert parse_retry_after({"retry-after": "Wed, 01 Jan 2025 11:00:00 GMT"}, now) == 0.0
    assert parse_retry_after({"retry-after": "soon"}, now) is None
    assert parse_retry_after({"retry-after-ms": "x", "retry-after": "2"}, now) == 2.0
    assert parse_retry_after({}, now) is None


def test_backoff_is_full_jitter_under_a_doubling_capped_bound() -> None:
    rng = random.Random(0)
    for retry in range(1, 10):
        bound = min(8.0, 0.5 * 2 ** (retry - 1))
        delays = [
            backoff_delay(retry, base_s=0.5, max_s=8.0, retry_after_s=None, retry_after_max_s=60, rng=rng)
            for _ in range(200)
        ]
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > 0.8 * bound and min(delays) < 0.2 * bound  # spread over [0, bound]


def test_server_wait_wins_but_is_capped() -> None:
    rng = random.Random(0)
    args = dict(base_s=0.5, max_s=8.0, retry_after_max_s=60.0, rng=rng)
    assert backoff_delay(1, retry_after_s=20.0, **args) == 20.0
    assert backoff_delay(1, retry_after_s=600.0, **args) == 60.0
