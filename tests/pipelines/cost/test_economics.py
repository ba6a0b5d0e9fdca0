"""The MoE serving model against published figures and its own arithmetic."""

import pytest

from pipelines.cost.economics import (batch_for_tps_user, distinct_experts, economics_at,
                                      explain, step_times)
from pipelines.cost.profiles import PROFILES_DIR, load_profile
from pipelines.cost.sweep import DEFAULT_BATCHES, sweep
from pipelines.errors import InputError


@pytest.fixture(scope="module")
def deepseek():
    return load_profile(PROFILES_DIR / "deepseek-v3-h800-ep144.yaml")


@pytest.fixture(scope="module")
def qwen():
    return load_profile(PROFILES_DIR / "qwen3-30b-a3b-h100.yaml")


@pytest.mark.parametrize("tokens, expected", [(8, 57.4), (32, 163.3), (128, 251.6)])
def test_distinct_experts_reference_figures(tokens, expected):
    # DeepSeek-V3: E=256, k=8 -> E * (1 - (1 - k/E)^T)
    assert round(distinct_experts(256, 8, tokens), 1) == expected


def test_distinct_experts_limits():
    assert distinct_experts(256, 8, 1) == pytest.approx(8.0)  # one token reads exactly k
    assert distinct_experts(256, 8, 10_000) == pytest.approx(256.0)  # all experts


def test_deepseek_production_point(deepseek):
    # DeepSeek's published decode: H800, ~128 sequences/GPU, KV length 4,989 ->
    # ~1,850 output tok/s per GPU, ~$0.30 per 1M output at $2/GPU-hour
    e = explain(deepseek)
    assert (e.batch_per_gpu, e.context_len) == (128, 4989)
    assert e.tokens_per_s_per_gpu == pytest.approx(1850, rel=0.15)
    assert e.usd_per_m_output == pytest.approx(0.30, rel=0.15)
    assert e.fits_memory


def test_step_time_terms_by_hand(deepseek):
    # b=128, L=4,989, G=144, bytes/param 1, HBM 3.35 TB/s
    t_mem, t_compute, t_comm, experts = step_times(deepseek, 128, 4989)
    # every expert is touched (128*144 tokens); 256/144 experts per GPU
    assert experts == pytest.approx(256 / 144)
    # weights: dense 37e9 - 8*58*44,040,192 plus 58 * 256/144 experts of 44,040,192 params
    dense = 37e9 - 8 * 58 * 44_040_192
    weights = dense + 58 * (256 / 144) * 44_040_192
    kv = 128 * 4989 * 70_272
    assert t_mem == pytest.approx((weights + kv) / 3.35e12, rel=1e-9)
    # compute: 2*37e9*128 at FP8 1,979 TFLOP/s + attention 2*128 heads*1,088*4,989*61 per token
    flops_attn = 128 * 2 * 128 * 1088 * 4989 * 61
    assert t_compute == pytest.approx(2 * 37e9 * 128 / 1979e12 + flops_attn / 989e12, rel=1e-9)
    # all-to-all: 58 layers * 128 tokens * 8 experts * 7,168 * (1+2) bytes; 1 - 8/144 of it
    # over InfiniBand (40 GB/s), 8/144 - 1/144 over NVLink (160 GB/s), 1/144 stays on the GPU
    sent = 58 * 128 * 8 * 7168 * 3
    assert t_comm == pytest.approx(sent * ((1 - 8 / 144) / 40e9 + (7 / 144) / 160e9), rel=1e-9)


def test_single_gpu_has_no_communication(qwen):
    assert step_times(qwen, 32, 4096)[2] == 0.0


def test_cost_falls_with_batch_then_flattens(deepseek):
    points = sweep(deepseek, DEFAULT_BATCHES)
    costs = [e.usd_per_m_output for e in points]
    assert all(b < a for a, b in zip(costs, costs[1:])), costs
    first_drop = 1 - costs[1] / costs[0]
    last_drop = 1 - costs[-1] / costs[-2]
    assert first_drop > 0.4 and last_drop < 0.05, (first_drop, last_drop)
    # small batches are weight-read bound; large ones compute- and communication-bound
    small, large = points[0], points[-1]
    assert small.t_mem_s / small.t_step_s > 0.9
    assert (large.t_compute_s + large.t_comm_s) / large.t_step_s > 0.6


def test_user_speed_falls_as_batch_grows(deepseek):
    speeds = [e.tokens_per_s_per_user for e in sweep(deepseek, DEFAULT_BATCHES)]
    assert all(b < a for a, b in zip(speeds, speeds[1:]))


def test_batch_for_a_per_user_speed_target(deepseek):
    b = batch_for_tps_user(deepseek, 20.0)
    assert economics_at(deepseek, b).tokens_per_s_per_user >= 20.0
    assert economics_at(deepseek, b + 1).tokens_per_s_per_user < 20.0
    assert explain(deepseek, tps_user=20.0).batch_per_gpu == b


def test_unreachable_speed_target_is_an_input_error(deepseek):
    with pytest.raises(InputError, match="out of reach"):
        batch_for_tps_user(deepseek, 10_000.0)


def test_profile_with_a_speed_target_picks_its_batch():
    p = load_profile(PROFILES_DIR / "deepseek-v3-h100.yaml")
    e = explain(p)
    assert e.tokens_per_s_per_user >= 25.0 and e.fits_memory
    assert economics_at(p, e.batch_per_gpu + 1).tokens_per_s_per_user < 25.0


def test_memory_fit_flag(qwen):
    # 30.5B BF16 params = ~61 GB; 32 x 4,096 tokens x 98,304 B = 12.9 GB fits in 80 GB,
    # 64 sequences (25.8 GB of KV) do not
    assert economics_at(qwen, 32).fits_memory
    assert not economics_at(qwen, 64).fits_memory


def test_input_rates(deepseek):
    # miss: (2*37e9/(1979e12*0.4) + 2*128*1088*(4989/2)*61/(989e12*0.4)) s per token
    #       at $2/3600 per GPU-second
    seconds = 2 * 37e9 / (1979e12 * 0.4) + 2 * 128 * 1088 * 2494.5 * 61 / (989e12 * 0.4)
    e = explain(deepseek)
    assert e.usd_per_m_input_miss == pytest.approx(seconds * 2 / 3600 * 1e6, rel=1e-9)
    # hit: load 70,272 bytes of KV at 40 GB/s
    assert e.usd_per_m_input_hit == pytest.approx(70_272 / 40e9 * 2 / 3600 * 1e6, rel=1e-9)
    assert e.usd_per_m_input_hit < e.usd_per_m_input_miss < e.usd_per_m_output


def test_utilisation_raises_the_price(qwen):
    idle = qwen.model_copy(update={"hardware": qwen.hardware.model_copy(
        update={"utilisation": 0.4})})
    assert economics_at(idle, 32).usd_per_m_output == pytest.approx(
        economics_at(qwen, 32).usd_per_m_output * 0.8 / 0.4, rel=1e-12)


def test_measured_profile_rates():
    # embedded CPU: $0.045/CPU-h * 2 CPUs = $0.09/h = $0.000025/s
    #   output 4,032 tok/s -> $0.0062004 per 1M; prefill 11,793 -> $0.0021199; hits 195,797
    #   -> $0.000127683; batch 8 -> 4032 / 8 = 504 tok/s per user
    e = explain(load_profile(PROFILES_DIR / "embedded-cpu.yaml"))
    assert e.usd_per_m_output == pytest.approx(0.000025 / 4032 * 1e6, rel=1e-12)
    assert e.usd_per_m_input_miss == pytest.approx(0.000025 / 11793 * 1e6, rel=1e-12)
    assert e.usd_per_m_input_hit == pytest.approx(0.000025 / 195797 * 1e6, rel=1e-12)
    assert e.tokens_per_s_per_user == pytest.approx(504.0)
