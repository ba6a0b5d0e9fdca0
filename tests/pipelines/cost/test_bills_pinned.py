"""Exact bills for hand-worked calls, priced through the shipped sheets by the real meter.

Rates are USD per 1M tokens, so n tokens at rate r cost n * r / 1e6.
"""

from datetime import datetime, timedelta, timezone

import pytest

from pipelines.cost import load_meter
from pipelines.types import Usage
from pipelines.endpoints.usage import normalize_usage

EXACT = 1e-12  # far below a cent: the bills must match the arithmetic, not approximately
DS = "https://api.deepseek.com"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def meter():
    return load_meter()


def price(meter, model, usage, at, endpoint=DS, batch=False):
    return meter.price(endpoint=endpoint, model=model, usage=usage, started_at=at, batch=batch)


CHAT_CALL = Usage(prompt_tokens=10_000, cached_tokens=4_000, completion_tokens=2_000)


def test_deepseek_chat_standard_hours(meter):
    # 2025-03-10 10:00 UTC is inside 00:30-16:30: rates 0.07 hit / 0.27 miss / 1.10 output
    #   6,000 miss * 0.27 = 0.00162; 4,000 hit * 0.07 = 0.00028; 2,000 out * 1.10 = 0.0022
    p = price(meter, "deepseek-chat", CHAT_CALL, utc(2025, 3, 10, 10, 0))
    assert p.usd == pytest.approx(0.0041, abs=EXACT)
    assert p.tier == "standard"
    assert p.components == pytest.approx({"input_miss": 0.00162, "input_hit": 0.00028,
                                          "output": 0.0022}, abs=EXACT)
    assert p.source == "sheet:deepseek/2025-10-01@2025-02-26T16:30Z"


def test_deepseek_chat_off_peak_is_half(meter):
    # 20:00 UTC is inside 16:30-00:30: every rate x0.5 -> 0.0041 / 2 = 0.00205
    p = price(meter, "deepseek-chat", CHAT_CALL, utc(2025, 3, 10, 20, 0))
    assert (p.usd, p.tier) == (pytest.approx(0.00205, abs=EXACT), "off-peak")


def test_deepseek_reasoner_off_peak_published_rates(meter):
    # 23:59 UTC, off-peak -75% at the published 0.035 / 0.135 / 0.55:
    #   6,000 * 0.135 = 0.00081; 4,000 * 0.035 = 0.00014;
    #   500 plain output * 0.55 + 1,500 reasoning * 0.55 (reasoning billed as output) = 0.0011
    usage = Usage(prompt_tokens=10_000, cached_tokens=4_000, completion_tokens=2_000,
                  reasoning_tokens=1_500)
    p = price(meter, "deepseek-reasoner", usage, utc(2025, 3, 10, 23, 59))
    assert (p.usd, p.tier) == (pytest.approx(0.00205, abs=EXACT), "off-peak")
    assert p.components["reasoning"] == pytest.approx(0.000825, abs=EXACT)


def test_off_peak_window_edges(meter):
    # window is [16:30, 00:30): 00:29:59 off-peak, 00:30:00 standard, 16:30:00 off-peak
    usage = Usage(prompt_tokens=10_000, cached_tokens=4_000, completion_tokens=2_000)
    # standard reasoner: 6,000 * 0.55 + 4,000 * 0.14 + 2,000 * 2.19 = 0.0033 + 0.00056 + 0.00438
    standard = 0.00824
    assert price(meter, "deepseek-reasoner", usage, utc(2025, 3, 11, 0, 29, 59)).tier == "off-peak"
    p = price(meter, "deepseek-reasoner", usage, utc(2025, 3, 11, 0, 30))
    assert (p.usd, p.tier) == (pytest.approx(standard, abs=EXACT), "standard")
    assert price(meter, "deepseek-reasoner", usage, utc(2025, 3, 11, 16, 30)).tier == "off-peak"
    assert price(meter, "deepseek-reasoner", usage, utc(2025, 3, 11, 16, 29, 59)).tier == "standard"


MILLION_IN = Usage(prompt_tokens=1_000_000, completion_tokens=100_000)


def test_call_straddling_the_price_change_is_priced_at_its_start(meter):
    # DeepSeek's price changed at 2025-09-05 16:00 UTC. A call started 30 s before it and
    # answered 60 s later pays the old price: 1M miss * 0.27 + 100k out * 1.10 = 0.27 + 0.11
    start = utc(2025, 9, 5, 15, 59, 30)
    old = price(meter, "deepseek-chat", MILLION_IN, start)
    assert old.usd == pytest.approx(0.38, abs=EXACT)
    assert start + timedelta(seconds=60) > utc(2025, 9, 5, 16, 0)
    # started at 16:00:00: 1M * 0.56 + 100k * 1.68 = 0.56 + 0.168
    new = price(meter, "deepseek-chat", MILLION_IN, utc(2025, 9, 5, 16, 0))
    assert new.usd == pytest.approx(0.728, abs=EXACT)
    assert new.source.endswith("@2025-09-05T16:00Z") and old.source != new.source


def test_night_discount_ended_with_the_september_change(meter):
    # 16:45 UTC on Sep 4: off-peak, (0.27 + 0.11) / 2 = 0.19; on Sep 5: standard 0.728
    assert price(meter, "deepseek-chat", MILLION_IN, utc(2025, 9, 4, 16, 45)).usd == \
        pytest.approx(0.19, abs=EXACT)
    p = price(meter, "deepseek-chat", MILLION_IN, utc(2025, 9, 5, 16, 45))
    assert (p.usd, p.tier) == (pytest.approx(0.728, abs=EXACT), "standard")


def test_v32_price_from_september_29(meter):
    # 1M * 0.28 + 100k * 0.42 = 0.28 + 0.042
    p = price(meter, "deepseek-reasoner", MILLION_IN, utc(2025, 10, 2, 12, 0))
    assert p.usd == pytest.approx(0.322, abs=EXACT)


def test_openai_cached_input_and_batch(meter):
    # gpt-4o: 12,000 uncached * 2.50 = 0.03; 8,000 cached * 1.25 = 0.01; 1,000 out * 10 = 0.01
    usage = normalize_usage({"prompt_tokens": 20_000, "completion_tokens": 1_000,
                             "prompt_tokens_details": {"cached_tokens": 8_000}})
    at = utc(2025, 6, 2, 9, 0)
    assert price(meter, "gpt-4o", usage, at, endpoint="https://api.openai.com/v1").usd == \
        pytest.approx(0.05, abs=EXACT)
    # Batch API halves every rate: 0.025
    p = price(meter, "gpt-4o", usage, at, endpoint="https://api.openai.com/v1", batch=True)
    assert (p.usd, p.tier) == (pytest.approx(0.025, abs=EXACT), "batch")


def test_openai_reasoning_tokens_billed_once(meter):
    # o4-mini: 5,000 in * 1.10 = 0.0055; 3,000 completion (2,500 of them reasoning) * 4.40
    #   = 0.0132 -> 0.0187 (reasoning is inside completion, not added on top)
    usage = normalize_usage({"prompt_tokens": 5_000, "completion_tokens": 3_000,
                             "completion_tokens_details": {"reasoning_tokens": 2_500}})
    p = price(meter, "o4-mini", usage, utc(2025, 6, 2, 9, 0), endpoint="https://x/v1")
    assert p.usd == pytest.approx(0.0187, abs=EXACT)


def test_cache_write_rate_from_a_user_sheet(tmp_path):
    # An Anthropic-style sheet: input 3.00, cache read 0.30, cache write 3.75, output 15.00.
    # 10,000 prompt = 3,000 plain + 2,000 read + 5,000 written:
    #   3,000 * 3 = 0.009; 2,000 * 0.3 = 0.0006; 5,000 * 3.75 = 0.01875; 1,000 * 15 = 0.015
    sheet = tmp_path / "mine.yaml"
    sheet.write_text("name: mine\nversion: '1'\nmodels:\n  claude-x:\n    periods:\n"
                     "      - from: '2025-01-01'\n        rates: {input_miss: 3.0, input_hit: 0.3,"
                     " cache_write: 3.75, output: 15.0}\n")
    usage = normalize_usage({"input_tokens": 3_000, "output_tokens": 1_000,
                             "cache_read_input_tokens": 2_000,
                             "cache_creation_input_tokens": 5_000})
    p = load_meter(sheet).price(endpoint="https://api.anthropic.com", model="claude-x",
                                usage=usage, started_at=utc(2025, 5, 1))
    assert p.usd == pytest.approx(0.04335, abs=EXACT)
    assert p.source == "sheet:mine/1@2025-01-01"
