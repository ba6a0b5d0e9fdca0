"""The meter: which prices apply, unknown prices, worst case, run-store columns."""

import inspect
from datetime import datetime, timezone

import pytest

from pipelines.cost import call_cost_columns, load_meter, shipped_sheets
from pipelines.cost.derive import profile_rates
from pipelines.cost.profiles import PROFILES_DIR, load_profile
from pipelines.errors import InputError
from pipelines.types import Meter, Price, Usage

AT = datetime(2025, 10, 5, 12, 0, tzinfo=timezone.utc)
CALL = Usage(prompt_tokens=1_000, cached_tokens=200, completion_tokens=500)


@pytest.fixture(scope="module")
def meter():
    return load_meter()


def test_satisfies_the_meter_protocol(meter):
    # same keyword parameters as pipelines.types.Meter, so the engine can call it blindly
    for name in ("price", "worst_case_usd"):
        want = inspect.signature(getattr(Meter, name)).parameters
        got = inspect.signature(getattr(meter, name)).parameters
        assert list(got) == [p for p in want if p != "self"], name
        for param, spec in got.items():
            assert spec.kind is inspect.Parameter.KEYWORD_ONLY, (name, param)
    assert list(inspect.signature(meter.knows).parameters) == ["endpoint", "model"]


def test_moe_tiny_is_priced_from_the_embedded_profile_on_any_endpoint(meter):
    # embedded-cpu: $0.045/CPU-h * 2 CPUs = $25 per 1M CPU-seconds; standard tier (batch 8,
    # 4,032 tok/s), prefill 11,793 tok/s, cache hits 195,797 tok/s; 12:00 UTC is not off-peak
    #   (800 * 25/11793 + 200 * 25/195797 + 500 * 25/4032) / 1e6 = 4.82166e-06
    by_hand = (800 * 25 / 11793 + 200 * 25 / 195797 + 500 * 25 / 4032) / 1e6
    for endpoint in ("embedded", "http://10.0.0.5:8000/v1", "http://127.0.0.1:8001/v1"):
        p = meter.price(endpoint=endpoint, model="moe-tiny", usage=CALL, started_at=AT)
        assert p.usd == pytest.approx(by_hand, rel=1e-12) and by_hand == pytest.approx(4.82166e-06)
        assert (p.source, p.tier) == ("profile:embedded-cpu-v2", "standard")
        assert meter.knows(endpoint=endpoint, model="moe-tiny")


def test_off_peak_and_batch_calls_of_a_profile_priced_model_pay_the_bulk_tier(meter):
    # bulk tier: batch 64 at 9,541 tok/s -> output 25/9541 per 1M; inputs as standard
    by_hand = (800 * 25 / 11793 + 200 * 25 / 195797 + 500 * 25 / 9541) / 1e6
    night = datetime(2025, 10, 5, 23, 30, tzinfo=timezone.utc)
    off = meter.price(endpoint="embedded", model="moe-tiny", usage=CALL, started_at=night)
    batch = meter.price(endpoint="embedded", model="moe-tiny", usage=CALL, started_at=AT,
                        batch=True)
    assert (off.tier, batch.tier) == ("off-peak", "batch")
    assert off.usd == pytest.approx(by_hand, rel=1e-12)
    assert batch.usd == pytest.approx(by_hand, rel=1e-12)


def test_a_model_known_to_a_shipped_profile_is_priced_at_any_url(meter):
    # qwen3-30b-a3b only appears in profiles/qwen3-30b-a3b-h100.yaml; deepseek-v3 in two
    # profiles: the first in file order (deepseek-v3-h100.yaml) prices it
    r = profile_rates(load_profile(PROFILES_DIR / "qwen3-30b-a3b-h100.yaml"))
    p = meter.price(endpoint="http://gpu:8000/v1", model="Qwen/Qwen3-30B-A3B", usage=CALL,
                    started_at=AT)
    assert p.usd == pytest.approx((800 * r.input_miss + 200 * r.input_hit + 500 * r.output) / 1e6,
                                  rel=1e-12)
    assert p.source == "profile:qwen3-30b-a3b-h100-v2"
    ds = meter.price(endpoint="http://x/v1", model="deepseek-ai/DeepSeek-V3", usage=CALL,
                     started_at=AT)
    assert ds.source == "profile:deepseek-v3-h100-ep16-v2"


def test_names_match_case_insensitively_aliases_and_provider_prefix(meter):
    for name in ("deepseek-chat", "DeepSeek-Chat", "deepseek/deepseek-chat",
                 "gpt-4o-2024-08-06"):
        assert meter.knows(endpoint="https://api.example.com", model=name), name


def test_unknown_model_is_unknown_not_zero(meter):
    p = meter.price(endpoint="https://x", model="no-such-model", usage=CALL, started_at=AT)
    assert p.usd is None and p.source == "unknown"
    assert not meter.knows(endpoint="https://x", model="no-such-model")
    assert meter.worst_case_usd(endpoint="https://x", model="no-such-model", prompt_tokens=10,
                                max_tokens=10, started_at=AT) is None


def test_call_before_any_price_period_is_unknown(meter):
    p = meter.price(endpoint="https://api.deepseek.com", model="deepseek-chat", usage=CALL,
                    started_at=datetime(2024, 12, 1, tzinfo=timezone.utc))
    assert p.usd is None


def test_batch_tier_without_a_batch_discount(meter):
    # DeepSeek offers no batch discount: batch multiplier 1, tier still recorded as batch
    plain = meter.price(endpoint="x", model="deepseek-chat", usage=CALL, started_at=AT)
    batch = meter.price(endpoint="x", model="deepseek-chat", usage=CALL, started_at=AT, batch=True)
    assert batch.tier == "batch" and batch.usd == pytest.approx(plain.usd, abs=1e-15)


def test_worst_case_prices_prompt_uncached_and_max_tokens_output(meter):
    # deepseek-chat from 2025-09-29: 1,000 * 0.28 + 500 * 0.42 = 0.00028 + 0.00021
    w = meter.worst_case_usd(endpoint="x", model="deepseek-chat", prompt_tokens=1_000,
                             max_tokens=500, started_at=AT)
    assert w == pytest.approx(0.00049, abs=1e-15)
    actual = meter.price(endpoint="x", model="deepseek-chat", usage=CALL, started_at=AT)
    assert actual.usd < w


def test_worst_case_uses_the_dearer_of_cache_write_and_reasoning(tmp_path):
    sheet = tmp_path / "s.yaml"
    sheet.write_text("name: s\nversion: '1'\nmodels:\n  m:\n    periods:\n"
                     "      - from: '2025-01-01'\n        rates: {input_miss: 1.0, "
                     "cache_write: 1.25, output: 2.0, reasoning: 3.0}\n")
    # 1,000 * 1.25 + 100 * 3.0 = 0.00125 + 0.0003
    w = load_meter(sheet).worst_case_usd(endpoint="x", model="m", prompt_tokens=1_000,
                                         max_tokens=100, started_at=AT)
    assert w == pytest.approx(0.00155, abs=1e-15)


def test_profile_pricing_prices_every_call_at_the_deployment_cost():
    path = PROFILES_DIR / "qwen3-30b-a3b-h100.yaml"
    m = load_meter(path)
    r = profile_rates(load_profile(path))
    p = m.price(endpoint="http://gpu-box:8000/v1", model="Qwen/Qwen3-30B-A3B", usage=CALL,
                started_at=AT)
    expected = (800 * r.input_miss + 200 * r.input_hit + 500 * r.output) / 1e6
    assert p.usd == pytest.approx(expected, rel=1e-12)
    assert p.source == "profile:qwen3-30b-a3b-h100-v2" and p.tier == "standard"


def test_directory_sheets_come_before_shipped_ones(tmp_path):
    (tmp_path / "negotiated.yaml").write_text(
        "name: negotiated\nversion: '2025-10'\nmodels:\n  deepseek-chat:\n    periods:\n"
        "      - from: '2025-01-01'\n        rates: {input_miss: 0.1, output: 0.2}\n")
    m = load_meter(tmp_path)
    own = m.price(endpoint="x", model="deepseek-chat", usage=CALL, started_at=AT)
    assert own.source == "sheet:negotiated/2025-10@2025-01-01"
    assert m.knows(endpoint="x", model="gpt-4o")  # shipped sheets still there


def test_pricing_file_that_is_neither_sheet_nor_profile(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("hello: world\n")
    with pytest.raises(InputError, match="not a price sheet"):
        load_meter(bad)
    with pytest.raises(InputError, match="no such file.*fix: give a YAML path or one of "
                                         "deepseek, openai, deepseek-v3-h100"):
        load_meter(tmp_path / "missing.yaml")


def test_shipped_model_names_are_unique_across_sheets():
    seen: dict[str, str] = {}
    for sheet in shipped_sheets():
        for name in sheet.names():
            key = (sheet.endpoint, name)
            assert key not in seen, f"{name} in both {seen[key]} and {sheet.name}"
            seen[key] = sheet.name


def test_cost_columns_for_cache_hits_and_unknown_prices():
    known = Price(usd=0.25, source="sheet:x/1@2025-01-01", tier="off-peak")
    assert call_cost_columns(known, cache_hit=False) == {
        "cost_usd": 0.25, "would_cost_usd": 0.25, "price_source": "sheet:x/1@2025-01-01",
        "tier": "off-peak"}
    assert call_cost_columns(known, cache_hit=True)["cost_usd"] == 0.0
    assert call_cost_columns(known, cache_hit=True)["would_cost_usd"] == 0.25
    unknown = call_cost_columns(Price(usd=None, source="unknown"), cache_hit=False)
    assert unknown["cost_usd"] is None and unknown["would_cost_usd"] is None
