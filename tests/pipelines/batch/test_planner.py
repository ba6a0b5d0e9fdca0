"""Choosing when a job runs: off-peak windows, cheapest slots before a deadline, refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipelines.batch.metering import JobMeter
from pipelines.batch.windows import Slot, next_run_span
from pipelines.batch.requests import BatchRequest
from pipelines.batch.schedule import build_schedule, job_shape, off_peak_slots
from pipelines.cost import load_meter
from pipelines.errors import InputError
from tests.pipelines.batch.test_timeline import utc


def shape(n: int = 100, model: str = "deepseek-chat", max_tokens: int = 360):
    body = {"model": model, "messages": [{"role": "user", "content": "x" * 300}],
            "max_tokens": max_tokens}
    return job_shape([BatchRequest(f"r{i}", i + 1, "/v1/chat/completions", body)
                      for i in range(n)])


def plan(now: str, *, hours: float, off_peak=False, deadline=None, pricing=None,
         endpoint="https://api.deepseek.com/v1", model="deepseek-chat", batch_api=False):
    s = shape(model=model)
    meter = JobMeter(load_meter(pricing), endpoint, pricing, utc(now))
    throughput = s.completion_tokens / (hours * 3600)
    return build_schedule(meter, s, now=utc(now), off_peak=off_peak,
                          deadline=utc(deadline) if deadline else None, batch_api=batch_api,
                          throughput_tok_s=throughput, throughput_source="test")


def windows(p) -> list[tuple[str, str, str]]:
    return [(w.start.strftime("%m-%dT%H:%M"), w.end.strftime("%m-%dT%H:%M"), w.tier)
            for w in p.windows]


def test_off_peak_waits_for_the_next_window_and_halves_the_bill():
    p = plan("2025-03-01T10:00", hours=2, off_peak=True)
    assert windows(p) == [("03-01T16:30", "03-01T18:30", "off-peak")]
    assert p.expected_usd == pytest.approx(p.now_usd * 0.5)
    assert p.saving_usd == pytest.approx(p.now_usd * 0.5)


def test_off_peak_job_longer_than_a_window_continues_in_the_next_nights():
    p = plan("2025-03-01T10:00", hours=20, off_peak=True)
    assert windows(p) == [("03-01T16:30", "03-02T00:30", "off-peak"),
                          ("03-02T16:30", "03-03T00:30", "off-peak"),
                          ("03-03T16:30", "03-03T20:30", "off-peak")]
    assert sum(w.seconds for w in p.windows) == pytest.approx(20 * 3600)


def test_deadline_picks_the_cheapest_slots_then_the_earliest_dearer_ones():
    p = plan("2025-03-01T10:00", hours=10, deadline="2025-03-02T10:00")
    assert windows(p) == [("03-01T10:00", "03-01T12:00", "standard"),
                          ("03-01T16:30", "03-02T00:30", "off-peak")]
    standard = p.windows[0].job_usd  # the whole job at standard prices
    assert p.expected_usd == pytest.approx(standard * (2 + 8 * 0.5) / 10)
    assert p.now_usd == pytest.approx(standard * (6.5 + 3.5 * 0.5) / 10)  # runs into the window


def test_deadline_with_room_to_spare_uses_only_the_window():
    p = plan("2025-03-01T10:00", hours=3, deadline="2025-03-02T10:00")
    assert windows(p) == [("03-01T16:30", "03-01T19:30", "off-peak")]


def test_a_deadline_too_close_for_the_job_is_refused():
    with pytest.raises(InputError, match=r"needs about 30.00 h .* only 24.00 h remain before"):
        plan("2025-03-01T10:00", hours=30, deadline="2025-03-02T10:00")


def test_a_window_that_never_occurs_before_the_deadline_is_refused():
    with pytest.raises(InputError, match="no off-peak window before the deadline"):
        plan("2025-03-01T10:00", hours=1, off_peak=True, deadline="2025-03-01T16:00")


def test_off_peak_windows_too_short_before_the_deadline_are_refused():
    with pytest.raises(InputError, match="remain in off-peak windows before the deadline"):
        plan("2025-03-01T10:00", hours=9, off_peak=True, deadline="2025-03-02T10:00")


def test_off_peak_on_a_sheet_without_windows_is_refused_naming_those_with_windows():
    # DeepSeek's night discount ended on 2025-09-05: the sheet stays historical, and the error
    # names the shipped deployment profiles whose bulk tier runs off-peak
    with pytest.raises(InputError) as info:
        plan("2025-10-01T10:00", hours=1, off_peak=True)
    message = str(info.value)
    assert " ".join(message.split()).startswith(
        "no off-peak window in the next 8 days: model 'deepseek-chat' is priced by sheet "
        "deepseek (version 2025-10-01), whose off-peak window ended on 2025-09-05.")
    offered = message.split("Off-peak windows in force now:\n")[1].split("\n  fix:")[0]
    assert offered.splitlines() == [
        "    profile deepseek-v3-h100-ep16 (deepseek-v3, 22:00-06:00 UTC)",
        "    profile deepseek-v3-h800-ep144 (deepseek-v3, 16:30-00:30 UTC)",
        "    profile embedded-cpu (moe-tiny, 22:00-06:00 UTC)",
        "    profile gpt-oss-20b-h100 (gpt-oss-20b, 22:00-06:00 UTC)",
        "    profile qwen3-30b-a3b-h100 (qwen3-30b-a3b, 22:00-06:00 UTC)"]
    assert "fix: --pricing PROFILE" in message and message.endswith("--deadline TIME, or --now")
    assert max(len(line) for line in message.splitlines()) <= 78


def test_a_deadline_in_the_past_is_refused():
    with pytest.raises(InputError, match="not in the future"):
        plan("2025-03-01T10:00", hours=1, deadline="2025-03-01T09:00")


def test_plan_across_the_price_change_uses_each_periods_prices(sheet):
    p = plan("2025-05-31T12:00", hours=5, off_peak=True, pricing=str(sheet),
             endpoint="http://x/v1", model="test-model")
    assert windows(p) == [("05-31T22:00", "06-01T00:00", "off-peak"),
                          ("06-01T01:00", "06-01T03:00", "off-peak"),
                          ("06-02T01:00", "06-02T02:00", "off-peak")]
    old, new = p.windows[0].job_usd, p.windows[1].job_usd
    assert new == pytest.approx(old)  # 2x the rates at x0.25 == 1x the rates at x0.5


def test_batch_api_plan_is_priced_at_the_batch_tier(sheet):
    p = plan("2025-03-01T10:00", hours=1, pricing=str(sheet), endpoint="http://x/v1",
             model="test-model", batch_api=True)
    assert [w.tier for w in p.windows] == ["batch"]
    assert p.expected_usd == pytest.approx(0.5 * p.now_usd)


def test_run_spans_follow_the_plan_then_later_windows_until_the_deadline():
    p = plan("2025-03-01T10:00", hours=2, off_peak=True)
    meter = JobMeter(load_meter(None), "https://api.deepseek.com/v1", None, utc("2025-03-01T10:00"))

    def span(at: str):
        return next_run_span(p, utc(at), off_peak_slots(meter, p.model, utc(at)))

    assert span("2025-03-01T10:00") == (utc("2025-03-01T16:30"), utc("2025-03-01T18:30"))
    # slower than planned: it keeps going until that window closes, then waits for the next
    assert span("2025-03-01T18:30") == (utc("2025-03-01T18:30"), utc("2025-03-02T00:30"))
    assert span("2025-03-02T00:30") == (utc("2025-03-02T16:30"), utc("2025-03-03T00:30"))
    p.deadline = utc("2025-03-02T20:00")
    assert span("2025-03-02T00:30") == (utc("2025-03-02T16:30"), utc("2025-03-02T20:00"))
    assert span("2025-03-02T20:00") is None


def test_a_deadline_job_behind_its_plan_runs_at_once():
    p = plan("2025-03-01T10:00", hours=3, deadline="2025-03-02T10:00")
    late = p.windows[-1].end + timedelta(minutes=1)
    assert next_run_span(p, late, []) == (late, None)
    assert Slot(late, late, "off-peak").discounted and not Slot(late, late, "standard").discounted


def test_a_tiny_off_peak_job_plans_one_span_and_no_zero_length_ones():
    # 36,000 output tokens in 2.5154596 ms: a window cut to that is 2,515 us (datetimes hold
    # microseconds), and the 0.46 us left once planned empty spans on the 7 later nights, which
    # the job then waited for
    p = plan("2025-03-01T10:00", hours=0.0025154596 / 3600, off_peak=True)
    assert len(p.windows) == 1
    assert p.windows[0].start == utc("2025-03-01T16:30")
    assert p.windows[0].seconds == pytest.approx(0.002515)
