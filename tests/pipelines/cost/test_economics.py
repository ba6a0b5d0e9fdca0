"""The MoE serving model against published figures and its own arithmetic."""

import math

import pytest

from pipelines.cost.economics import (batch_for_tps_user, distinct_experts, economics_at,
                                      explain, max_batch_in_memory, step_times)
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


HBM = 3.35e12 * 0.9          # FlashMLA: 3,000 of 3,350 GB/s (KV reads)
GEMM_HBM = 3.35e12 * 0.54    # decode GEMMs streaming weights (fitted: DeepSeek decode profile)
FP8 = 1979e12 * 0.38         # decode GEMM FLOP/s (fitted: the same profile)
PREFILL_FP8 = 1979e12 * 0.4  # prefill_mfu
ATTN = 989e12 * 0.59         # FlashMLA: 580 of 989 TFLOP/s
EXPERT = 44_040_192
DENSE = 37e9 - 8 * 58 * EXPERT
LINKS = (1 - 8 / 144) / 40e9 + (7 / 144) / 160e9  # IB for off-node, NVLink for on-node peers
PREFILL_LINKS = max((1 - 8 / 144) / 57e9, (7 / 144) / 160e9)  # normal kernels: both at once


def test_step_time_terms_by_hand(deepseek):
    # b=128, L=4,989, EP144 with 32 redundant experts, MTP: 2 query tokens per sequence, two
    # micro-batches of 128 tokens, each streaming the weights itself
    st = step_times(deepseek, 128, 4989)
    assert st.experts_read == pytest.approx(2.0)  # every slot is hit: (256 + 32) / 144
    # busiest GPU's tokens: mean m = 256*144*8/144 = 2,048, excess sd*sqrt(2 ln 144)/m / 1.125
    share = 1 + (2048 * 143 / 144) ** 0.5 * (2 * math.log(144)) ** 0.5 / 2048 / 1.125
    assert share == pytest.approx(1.0617, abs=1e-4)
    phases = [(2 * DENSE / GEMM_HBM, 2 * DENSE * 256 / FP8),
              (128 * 4989 * 70_272 / HBM, 256 * 2 * 128 * 1088 * 4989 * 61 / ATTN),
              (2 * 58 * 2 * EXPERT / GEMM_HBM, 2 * 8 * 58 * EXPERT * 256 * share / FP8)]
    t_comm = 58 * 256 * share * 8 * 7168 * 3 * LINKS
    # + 47 us of small kernels per layer per micro-batch, + the 31% of the all-to-all that
    # holds the SMs
    t_gpu = sum(max(m, c) for m, c in phases) + 61 * 2 * 47e-6 + 0.31 * t_comm
    assert st.t_gpu == pytest.approx(t_gpu, rel=1e-9)
    assert st.t_comm == pytest.approx(t_comm, rel=1e-9)
    # two micro-batches: the longer of the two, plus one layer of the shorter not hidden, plus
    # 8.7 ms per step outside the layers
    assert st.t_step == pytest.approx(max(t_gpu, t_comm) + min(t_gpu, t_comm) / 116 + 8.7e-3,
                                      rel=1e-9)
    assert st.tokens_per_step == pytest.approx(1.85)


@pytest.mark.parametrize("gpus, dispatch_us, combine_us",
                         [(32, 155, 273), (64, 173, 314), (128, 192, 369), (256, 194, 360)])
def test_deepep_published_all_to_all_latency(deepseek, gpus, dispatch_us, combine_us):
    # DeepEP V1 low-latency kernels on H800 + CX7 400 Gb/s (DeepEP docs/legacy.md, formerly its
    # README): 128 tokens per GPU, hidden 7,168, top-8, FP8 dispatch, BF16 combine; latency per
    # layer = dispatch + combine. The model: b=64 with MTP (128 tokens per GPU), random routing
    # (no redundant experts), 40 GB/s per GPU off-node and 160 GB/s on-node, plus the busiest
    # GPU's excess. +-15%: the kernels' fixed latency is not modelled and the bandwidth is one
    # figure for all EP sizes (DeepEP measures 39-48 GB/s from EP32 to EP256).
    p = deepseek.model_copy(update={"deployment": deepseek.deployment.model_copy(
        update={"gpus": gpus, "redundant_experts": 0})})
    per_layer = step_times(p, 64, 4989).t_comm / 58
    assert per_layer == pytest.approx((dispatch_us + combine_us) * 1e-6, rel=0.15)


def test_single_gpu_has_no_communication(qwen):
    assert step_times(qwen, 32, 4096).t_comm == 0.0


def test_cost_falls_with_batch_then_flattens(deepseek):
    points = sweep(deepseek, DEFAULT_BATCHES)
    costs = [e.usd_per_m_output for e in points]
    assert all(b < a for a, b in zip(costs, costs[1:])), costs
    first_drop = 1 - costs[1] / costs[0]
    last_drop = 1 - costs[-1] / costs[-2]
    assert first_drop > 0.4 and last_drop < 0.05, (first_drop, last_drop)
    # small batches are bound by weight reads and the fixed overheads (8.7 ms per step, 47 us
    # per layer per micro-batch); large ones by compute and communication
    small, large = points[0], points[-1]
    assert (small.t_mem_s + 8.7e-3 + 61 * 2 * 47e-6) / small.t_step_s > 0.9
    assert (large.t_compute_s + large.t_comm_s) / large.t_step_s > 0.6


def test_user_speed_falls_as_batch_grows(deepseek):
    speeds = [e.tokens_per_s_per_user for e in sweep(deepseek, DEFAULT_BATCHES)]
    assert all(b < a for a, b in zip(speeds, speeds[1:]))


def test_batch_for_a_per_user_speed_target(deepseek):
    b = batch_for_tps_user(deepseek, 40.0)
    assert economics_at(deepseek, b).tokens_per_s_per_user >= 40.0
    assert economics_at(deepseek, b + 1).tokens_per_s_per_user < 40.0
    assert explain(deepseek, tps_user=40.0).batch_per_gpu == b


def test_speed_target_never_picks_a_batch_that_does_not_fit(deepseek):
    # 12 tok/s per user would allow more than memory holds (batch 166 gives 14.6): (80 GB -
    # 21.67 GB of weights) / (4,989 * 70,272 B = 0.35058 GB per sequence) = 166.4 -> 166
    held = (DENSE + 58 * 2 * EXPERT) / 1e9
    assert int((80 - held) // (4989 * 70_272 / 1e9)) == 166
    assert max_batch_in_memory(deepseek) == 166
    assert economics_at(deepseek, 166).tokens_per_s_per_user > 12.0
    assert batch_for_tps_user(deepseek, 12.0) == 166
    assert economics_at(deepseek, 166).fits_memory and not economics_at(deepseek, 167).fits_memory


def test_unreachable_speed_target_is_an_input_error(deepseek):
    with pytest.raises(InputError, match="out of reach"):
        batch_for_tps_user(deepseek, 10_000.0)


def test_profile_with_a_speed_target_picks_its_batch():
    p = load_profile(PROFILES_DIR / "deepseek-v3-h100.yaml")
    e = explain(p)
    assert e.tokens_per_s_per_user >= 20.0 and e.fits_memory
    assert economics_at(p, e.batch_per_gpu + 1).tokens_per_s_per_user < 20.0


def test_memory_fit_flag(qwen):
    # 30.5B BF16 params = ~61 GB; 32 x 4,096 tokens x 98,304 B = 12.9 GB fits in 80 GB,
    # 64 sequences (25.8 GB of KV) do not
    assert economics_at(qwen, 32).fits_memory
    assert not economics_at(qwen, 64).fits_memory


def test_input_rates(deepseek):
    # miss: compute 2*37e9/(1979e12*0.4) + MLA prefill width 320 over half the prompt; memory
    # (weights / 16,384-token chunk + 70,272 B of KV written); all-to-all of one token for the
    # busiest GPU (the normal kernels drive NVLink and the NIC at once: off-node at 57 GB/s
    # bounds it); two micro-batches overlap them;
    # $2/3600 per GPU-second
    compute = 2 * 37e9 / PREFILL_FP8 + 2 * 128 * 320 * 2494.5 * 61 / (989e12 * 0.4)
    memory = ((DENSE + 58 * 2 * EXPERT) / 16384 + 70_272) / HBM
    m = 16384 * 8
    share = 1 + (m * 143 / 144) ** 0.5 * (2 * math.log(144)) ** 0.5 / m / 1.125
    comm = 58 * share * 8 * 7168 * 3 * PREFILL_LINKS
    gpu = max(compute, memory)
    seconds = max(gpu, comm) + min(gpu, comm) / 116
    e = explain(deepseek)
    assert e.usd_per_m_input_miss == pytest.approx(seconds * 2 / 3600 * 1e6, rel=1e-9)
    # hit, from 3FS (SSD tier): load 70,272 bytes of KV at 40 GiB/s per 8-GPU node, plus
    # storage: $0.08/GB-month for one hour, shared by the 0.563 / 0.437 hits each stored
    # (uncached) token serves
    load = 70_272 / (40 * 2**30 / 8) * 2 / 3600 * 1e6
    store = 70_272e-9 * 0.08 / 730 * 1.0 * 1e6 * 0.437 / 0.563
    assert e.usd_per_m_input_hit == pytest.approx(load + store, rel=1e-9)
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
