"""The ETA: plan size x measured call rate, from the first answered call."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipelines
from pipelines.execution.progress import Eta, format_eta, planned_calls, summary_line
from pipelines.execution.stats import Stats

RSA = Path(__file__).parents[1] / "recipes" / "rsa.yaml"


def test_planned_calls_count_every_llm_call_of_the_unrolled_plan():
    plan = pipelines.validate(RSA, {"N": 4, "T": 3})
    assert planned_calls(plan, 2) == 2 * (4 + 2 * 4)  # items x (N solve + (T-1) x N aggregate)


def test_eta_appears_with_the_first_answered_calls_before_any_item_finishes():
    stats = Stats(items_total=2, calls_planned=100, started=0.0)
    eta = Eta(stats)
    assert eta.seconds_left(now=1.0) is None
    stats.calls = 10
    assert eta.seconds_left(now=2.0) == pytest.approx(90 / 5)  # 5 calls/s, 90 to go


def test_eta_counts_calls_reused_on_resume_as_done():
    stats = Stats(items_total=2, calls_planned=100, resumed=20, started=0.0)
    stats.calls = 10
    assert Eta(stats).seconds_left(now=2.0) == pytest.approx(70 / 5)


def test_eta_follows_the_recent_rate_not_the_slow_start():
    stats = Stats(items_total=2, calls_planned=100, started=0.0)
    eta = Eta(stats)
    for now, calls in ((10.0, 10), (35.0, 60)):
        stats.calls = calls
        eta.seconds_left(now=now)
    stats.calls = 70
    # the window starts at the sample of t=10 s: 60 calls in 35 s, 30 calls to go
    assert eta.seconds_left(now=45.0) == pytest.approx(30 / (60 / 35))


def test_without_a_plan_size_the_eta_comes_from_finished_items():
    stats = Stats(items_total=4, items_done=1, started=0.0)
    assert Eta(stats).seconds_left(now=10.0) == pytest.approx(30.0)


@pytest.mark.parametrize("seconds, text", [(None, "?"), (0.4, "0s"), (42, "42s"),
                                           (192, "3m12s"), (3900, "1h05m")])
def test_eta_text(seconds, text):
    assert format_eta(seconds) == text


def test_progress_line_shows_resumed_calls_and_meaningful_dollars():
    stats = Stats(items_total=3, calls=4, resumed=48, usd=0.0000172)
    line = summary_line(stats)
    assert "resumed 48" in line and "$0.0000172" in line
