"""Window arithmetic over price sheets: across midnight UTC and across a price-change date."""

from __future__ import annotations

from datetime import datetime, timezone

from pipelines.batch.timeline import PriceTimeline, timeline_for
from pipelines.cost import load_sheet


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def spans(timeline: PriceTimeline, t0: str, t1: str) -> list[tuple[str, str, str]]:
    return [(s.start.strftime("%m-%dT%H:%M"), s.end.strftime("%m-%dT%H:%M"), s.tier)
            for s in timeline.spans(utc(t0), utc(t1))]


def test_deepseek_off_peak_window_wraps_midnight():
    timeline = timeline_for(None, "https://api.deepseek.com/v1", "deepseek-chat")
    assert spans(timeline, "2025-03-01T12:00", "2025-03-02T12:00") == [
        ("03-01T12:00", "03-01T16:30", "standard"),
        ("03-01T16:30", "03-02T00:30", "off-peak"),
        ("03-02T00:30", "03-02T12:00", "standard"),
    ]


def test_a_span_starting_inside_a_window_after_midnight():
    timeline = timeline_for(None, "https://api.deepseek.com/v1", "deepseek-reasoner")
    assert spans(timeline, "2025-03-02T00:10", "2025-03-02T18:00") == [
        ("03-02T00:10", "03-02T00:30", "off-peak"),
        ("03-02T00:30", "03-02T16:30", "standard"),
        ("03-02T16:30", "03-02T18:00", "off-peak"),
    ]


def test_the_night_discount_ends_at_the_price_change_date():
    """2025-09-05 16:00 UTC: the period with the 16:30-00:30 window ends; that evening's window
    never opens, and the new period's prices begin."""
    timeline = timeline_for(None, "https://api.deepseek.com/v1", "deepseek-chat")
    found = timeline.spans(utc("2025-09-04T12:00"), utc("2025-09-06T12:00"))
    assert [(s.start.strftime("%m-%dT%H:%M"), s.tier) for s in found] == [
        ("09-04T12:00", "standard"), ("09-04T16:30", "off-peak"), ("09-05T00:30", "standard"),
        ("09-05T16:00", "standard")]
    assert found[2].source != found[3].source  # same tier, different period: not merged
    assert found[3].end == utc("2025-09-06T12:00")


def test_a_window_open_at_a_price_change_is_cut_there(sheet):
    """testsheet: 22:00-02:00 at x0.5 until 2025-06-01 00:00; then 01:00-03:00 at x0.25."""
    timeline = PriceTimeline(load_sheet(sheet), "test-model")
    found = timeline.spans(utc("2025-05-31T20:00"), utc("2025-06-01T04:00"))
    assert [(s.start.strftime("%m-%dT%H:%M"), s.end.strftime("%m-%dT%H:%M"), s.tier)
            for s in found] == [
        ("05-31T20:00", "05-31T22:00", "standard"),
        ("05-31T22:00", "06-01T00:00", "off-peak"),
        ("06-01T00:00", "06-01T01:00", "standard"),
        ("06-01T01:00", "06-01T03:00", "off-peak"),
        ("06-01T03:00", "06-01T04:00", "standard"),
    ]
    old_window, new_window = timeline.quote(found[1].start), timeline.quote(found[3].start)
    assert (old_window.rates.output, new_window.rates.output) == (1.0, 1.0)  # 2.0x0.5, 4.0x0.25
    assert timeline.standard_rates(found[3].start).output == 4.0


def test_spans_cover_the_range_without_gaps_over_many_days(sheet):
    timeline = PriceTimeline(load_sheet(sheet), "test-model")
    t0, t1 = utc("2025-05-20T07:13"), utc("2025-06-09T05:59")
    found = timeline.spans(t0, t1)
    assert found[0].start == t0 and found[-1].end == t1
    assert all(a.end == b.start for a, b in zip(found, found[1:]))
    assert sum(s.tier == "off-peak" for s in found) == 12 + 9  # 12 nights in May, 9 in June


def test_matching_follows_the_meter(sheet):
    assert timeline_for(str(sheet), "http://x/v1", "ACME/Test-Model").key == "test-model"
    # a model id is priced whatever the URL: moe-tiny by the embedded-cpu profile's sheet,
    # whose off-peak window (22:00-06:00 UTC) holds the bulk tier
    for endpoint in ("embedded", "http://127.0.0.1:8000/v1"):
        tiny = timeline_for(None, endpoint, "moe-tiny")
        assert tiny.sheet.name == "embedded-cpu" and tiny.key == "moe-tiny"
        spans = tiny.spans(utc("2026-12-02T12:00"), utc("2026-12-03T12:00"))
        assert [(s.start.hour, s.end.hour, s.tier) for s in spans] == [
            (12, 22, "standard"), (22, 6, "off-peak"), (6, 12, "standard")]
    assert timeline_for(None, "http://x/v1", "no-such-model").flat
    flat = timeline_for(None, "http://x/v1", "no-such-model")
    assert [s.tier for s in flat.spans(utc("2025-01-01T00:00"), utc("2025-01-09T00:00"))] == \
        ["standard"]
