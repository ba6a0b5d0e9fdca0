"""Every shipped sheet and profile loads; a profile's standard and bulk tiers, its off-peak
window, and the price sheet derived from them."""

from datetime import datetime, time, timezone

import pytest

from pipelines.cost import load_profile, load_sheet
from pipelines.cost.derive import bulk_batch, profile_rates, profile_tiers, sheet_from_profile
from pipelines.cost.economics import explain
from pipelines.cost.profiles import PROFILES_DIR
from pipelines.cost.sheets import SHEETS_DIR, quote
from pipelines.errors import InputError

EMBEDDED = PROFILES_DIR / "embedded-cpu.yaml"
QWEN = PROFILES_DIR / "qwen3-30b-a3b-h100.yaml"
USD_PER_S = 0.045 * 2 / 3600  # embedded-cpu: $0.045/CPU-hour x 2 CPUs = $0.000025 per second


@pytest.mark.parametrize("path", sorted(PROFILES_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_profiles_load_with_a_cheaper_or_equal_bulk_tier(path):
    tiers = profile_tiers(load_profile(path))
    assert 0 < tiers.bulk.usd_per_m_output <= tiers.standard.usd_per_m_output
    assert tiers.bulk.batch_per_gpu >= tiers.standard.batch_per_gpu


@pytest.mark.parametrize("path", sorted(SHEETS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_sheets_load(path):
    assert load_sheet(path).models


def test_required_profiles_are_shipped():
    names = {load_profile(p).name for p in PROFILES_DIR.glob("*.yaml")}
    assert {"deepseek-v3-h800-ep144", "deepseek-v3-h100-ep16", "qwen3-30b-a3b-h100",
            "embedded-cpu"} <= names


def test_embedded_tiers_from_the_measured_batches():
    # measured decode: batch 1 1,330 / 8 4,032 / 32 7,681 / 64 9,541 tok/s; target 400 tok/s
    # per user: 4,032 / 8 = 504 meets it, 7,681 / 32 = 240 does not -> standard batch 8;
    # bulk = the largest measured batch, 64
    tiers = profile_tiers(load_profile(EMBEDDED))
    assert (tiers.standard.batch_per_gpu, tiers.bulk.batch_per_gpu) == (8, 64)
    assert tiers.standard.usd_per_m_output == pytest.approx(USD_PER_S / 4032 * 1e6, rel=1e-12)
    assert tiers.bulk.usd_per_m_output == pytest.approx(USD_PER_S / 9541 * 1e6, rel=1e-12)
    # prefill does not depend on the decode batch: input rates are the same in both tiers
    for e in (tiers.standard, tiers.bulk):
        assert e.usd_per_m_input_miss == pytest.approx(USD_PER_S / 11793 * 1e6, rel=1e-12)
        assert e.usd_per_m_input_hit == pytest.approx(USD_PER_S / 195797 * 1e6, rel=1e-12)
    assert (tiers.off_peak.start, tiers.off_peak.end) == (time(22, 0), time(6, 0))


def test_gpu_bulk_batch_is_the_largest_that_fits_in_memory():
    # qwen3-30b-a3b on one H100 (80 GB), BF16: weights held = dense (3.3e9 - 8 * 48 * 4,718,592)
    # + all 128 experts of 48 layers = 30.479e9 params * 2 bytes = 60.958 GB; one sequence's
    # KV = 4,096 * 98,304 bytes = 0.40265 GB -> floor((80 - 60.958) / 0.40265) = 47
    dense = 3.3e9 - 8 * 48 * 4_718_592
    held_gb = (dense + 128 * 48 * 4_718_592) * 2 / 1e9
    by_hand = int((80 - held_gb) // (4096 * 98304 / 1e9))
    profile = load_profile(QWEN)
    assert by_hand == 47 and bulk_batch(profile) == 47
    tiers = profile_tiers(profile)
    assert tiers.standard.batch_per_gpu == 32 and tiers.bulk.batch_per_gpu == 47
    assert tiers.bulk.fits_memory and not explain(profile, batch=48).fits_memory


def test_tps_target_out_of_reach_of_every_measured_batch(tmp_path):
    text = EMBEDDED.read_text().replace("tps_per_user: 400", "tps_per_user: 5000")
    path = tmp_path / "fast.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=r"batch 1 gives 1330\.0.*fix: lower `tps_per_user`"):
        explain(load_profile(path))


def test_derived_sheet_prices_standard_by_day_bulk_off_peak_and_for_batch_calls():
    profile = load_profile(EMBEDDED)
    sheet = sheet_from_profile(profile)
    day = datetime(2026, 12, 2, 14, 0, tzinfo=timezone.utc)
    night = datetime(2026, 12, 2, 23, 0, tzinfo=timezone.utc)
    standard, off_peak = quote(sheet, "moe-tiny", day), quote(sheet, "moe-tiny", night)
    batch = quote(sheet, "moe-tiny", day, batch=True)
    assert (standard.tier, off_peak.tier, batch.tier) == ("standard", "off-peak", "batch")
    assert standard.rates.output == pytest.approx(USD_PER_S / 4032 * 1e6, rel=1e-12)
    assert off_peak.rates.output == pytest.approx(USD_PER_S / 9541 * 1e6, rel=1e-12)
    assert batch.rates.output == pytest.approx(USD_PER_S / 9541 * 1e6, rel=1e-12)
    assert standard.source == off_peak.source == "profile:embedded-cpu-v2"
    assert profile_rates(profile) == standard.rates.model_copy(
        update={"cache_write": None, "reasoning": None})


def test_sheet_from_a_gpu_profile_keeps_aliases():
    sheet = sheet_from_profile(load_profile(QWEN))
    assert sheet.models["qwen3-30b-a3b"].aliases[0] == "Qwen/Qwen3-30B-A3B"
    assert sheet.version == "qwen3-30b-a3b-h100-v2"
    assert sheet.names()["qwen/qwen3-30b-a3b"] == "qwen3-30b-a3b"
