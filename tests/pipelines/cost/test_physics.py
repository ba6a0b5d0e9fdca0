"""Routing imbalance, multi-token prediction, tensor-parallel attention, the all-in rate and
memory-aware pricing, against hand arithmetic and a simulation."""

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cost.derive import profile_tiers
from pipelines.cost.economics import economics_at, explain, memory_gb
from pipelines.cost.physics import busiest_experts_read, expected_max_binomial
from pipelines.cost.profiles import PROFILES_DIR, load_profile
from pipelines.cost.sensitivity import sensitivity
from pipelines.errors import InputError

DEEPSEEK = PROFILES_DIR / "deepseek-v3-h800-ep144.yaml"
PIPE = Path(sys.executable).parent / "pipe"


def _with(profile, **deployment):
    return profile.model_copy(update={"deployment": profile.deployment.model_copy(
        update=deployment)})


def test_expected_max_binomial_by_hand():
    # two Bernoulli(0.5): max is 1 unless both are 0 -> 0.75; one draw: the mean
    assert expected_max_binomial(1, 0.5, 2) == pytest.approx(0.75)
    assert expected_max_binomial(4, 0.25, 1) == pytest.approx(1.0)
    # n=2, p=0.5, 2 draws: P(max<=0)=1/16, P(max<=1)=(3/4)^2 -> E = (1-1/16) + (1-9/16) = 1.375
    assert expected_max_binomial(2, 0.5, 2) == pytest.approx(1.375)


def test_busiest_gpu_at_ep8_batch_1_reads_10_6_experts_against_7_2_on_average():
    # 8 tokens pick 8 of 256 experts; 32 experts per GPU
    avg = 256 * (1 - (1 - 8 / 256) ** 8) / 8
    busiest = busiest_experts_read(256, 8, 8, 8)
    assert round(avg, 1) == 7.2 and round(busiest, 1) == 10.6
    rng, trials, total = random.Random(7), 4000, 0
    for _ in range(trials):  # simulate the routing: the approximation must match it
        hit = set()
        for _ in range(8):
            hit.update(rng.sample(range(256), 8))
        total += max(sum(1 for e in hit if e // 32 == g) for g in range(8))
    assert busiest == pytest.approx(total / trials, abs=0.1)


def test_mtp_multiplies_tokens_per_step_by_one_plus_acceptance():
    p = load_profile(DEEPSEEK)
    off = _with(p, mtp_draft_tokens=0, mtp_acceptance=0.0)
    e_on, e_off = economics_at(p, 64), economics_at(off, 128)
    # 64 sequences verifying 2 tokens do the same work per step as 128 verifying 1
    assert e_on.t_step_s == pytest.approx(e_off.t_step_s, rel=1e-9)
    assert e_on.tokens_per_s_per_gpu / e_off.tokens_per_s_per_gpu == pytest.approx(
        64 * 1.85 / 128)
    assert e_on.tokens_per_s_per_user / e_off.tokens_per_s_per_user == pytest.approx(1.85)


def test_tensor_parallel_attention_splits_weights_and_replicates_mla_kv():
    p = load_profile(DEEPSEEK)
    tp = _with(p, attention_tp=4)
    # weights held fall by 3/4 of the 11.41e9 attention params (1 byte each); MLA's latent KV is
    # read by every rank: 4x the KV per GPU at the same batch per GPU
    kv = 16 * 4989 * 70_272 / 1e9
    assert memory_gb(tp, 0, 4989) == pytest.approx(memory_gb(p, 0, 4989) - 11.41 * 0.75)
    assert memory_gb(tp, 16, 4989) - memory_gb(tp, 0, 4989) == pytest.approx(4 * kv)
    # ring all-reduce per layer: 2*(3/4) of the TP group's 16 seqs x 2 MTP tokens x 4 ranks
    # x 7,168 values x 2 bytes, over NVLink at 160 GB/s
    extra = 61 * 2 * 3 / 4 * (16 * 2) * 4 * 7168 * 2 / 160e9
    assert economics_at(tp, 16).t_comm_s - economics_at(p, 16).t_comm_s == pytest.approx(extra)


def test_all_in_rate_prices_the_prompts_of_the_workload_mix():
    p = load_profile(DEEPSEEK)
    e = explain(p)
    prompts = 3.62 * (0.563 * e.usd_per_m_input_hit + 0.437 * e.usd_per_m_input_miss)
    assert e.usd_per_m_output_all_in == pytest.approx(e.usd_per_m_output + prompts)


def test_a_profile_batch_that_does_not_fit_is_not_priced():
    p = _with(load_profile(DEEPSEEK), batch_per_gpu=200)
    assert not explain(p).fits_memory
    with pytest.raises(InputError, match=r"batch 200 per GPU needs 91\.8 GB.*at most 166"):
        profile_tiers(p)


def test_sensitivity_of_a_memory_bound_single_gpu_by_hand():
    # qwen3-30b on one H100 at batch 32, 4,096 KV tokens, is HBM-bound in every decode phase:
    # t = weights / (3.35e12 * 0.54) + KV / (3.35e12 * 0.9). +10% on one efficiency divides its
    # term by 1.1. Prefill is compute-bound: +10% prefill MFU -> $/1M input x 1/1.1; no links
    # are used on one GPU
    p = load_profile(PROFILES_DIR / "qwen3-30b-a3b-h100.yaml")
    st = economics_at(p, 32)
    assert st.t_compute_s < 0.5 * st.t_mem_s
    t_kv = 32 * 4096 * 98_304 / (3.35e12 * 0.9)
    t_w = st.t_step_s - t_kv
    rows = {r.parameter: r for r in sensitivity(p)}
    assert rows["hardware.hbm_efficiency"].tokens_per_s_per_gpu == pytest.approx(
        st.t_step_s / (t_w + t_kv / 1.1) - 1, rel=1e-6)
    assert rows["hardware.gemm_hbm_efficiency"].tokens_per_s_per_gpu == pytest.approx(
        st.t_step_s / (t_w / 1.1 + t_kv) - 1, rel=1e-6)
    assert rows["deployment.prefill_mfu"].usd_per_m_input_miss == pytest.approx(1 / 1.1 - 1)
    assert rows["hardware.scale_out_gb_s"].tokens_per_s_per_gpu == 0.0
    assert rows["hardware.linear_efficiency"].tokens_per_s_per_gpu == 0.0


def test_cli_sensitivity_table_at_80_columns():
    result = subprocess.run([str(PIPE), "cost", "sensitivity", str(DEEPSEEK)],
                            capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    # EP144 decode is GPU-bound (~96 ms of GPU work against ~65 ms of all-to-all): InfiniBand
    # moves throughput only through the 31% of the all-to-all that holds the SMs
    # (0.31 * 64.9 ms * (1 - 1/1.1) of 105.4 ms -> +1.8%); prefill is bound by the normal
    # kernels' scale-out: +10% -> $/1M input about -9%
    row = next(line for line in lines if line.startswith("hardware.scale_out_gb_s"))
    assert float(row.split()[2].rstrip("%")) == pytest.approx(1.8, abs=0.2)
    row = next(line for line in lines if line.startswith("hardware.scale_out_prefill_gb_s"))
    assert float(row.split()[4].rstrip("%")) == pytest.approx(-9.0, abs=0.3)


def test_blended_dollars_per_request_from_the_workload_mix():
    # DeepSeek: 4,989 prompt tokens, 56.3% of them cache hits, 3.62 prompt tokens per output
    # token -> 4,989 / 3.62 = 1,378 output tokens per request
    e = explain(load_profile(DEEPSEEK))
    prompt = 4989 * (0.563 * e.usd_per_m_input_hit + 0.437 * e.usd_per_m_input_miss)
    assert e.usd_per_request == pytest.approx((prompt + 4989 / 3.62 * e.usd_per_m_output) / 1e6)
    # a workload with no output has no per-request figure rather than a division by zero
    p = load_profile(DEEPSEEK)
    none = p.model_copy(update={"workload": p.workload.model_copy(
        update={"prompt_tokens_per_output": 0.0})})
    assert explain(none).usd_per_request is None


def _cache(profile, **fields):
    return profile.model_copy(update={"cache": profile.cache.model_copy(update=fields)})


def test_cache_hits_priced_by_their_tier_storage_and_transfer():
    p = load_profile(DEEPSEEK)  # $2/GPU-h, 70,272 B of KV per token, hit rate 0.563
    per_gpu_s = 2 / 3600
    kv_gb = 70_272e-9
    hits_per_stored = 0.563 / 0.437
    # host DRAM: loaded over PCIe at 50 GB/s, stored at $0.0036/GB-h for 2 hours
    dram = explain(_cache(p, tier="dram", retention_hours=2.0))
    assert dram.usd_per_m_input_hit == pytest.approx(
        (kv_gb / 50 * per_gpu_s + kv_gb * 0.0036 * 2.0 / hits_per_stored) * 1e6, rel=1e-9)
    # HBM: loaded at 0.9 x 3.35 TB/s, stored free (the HBM the batch leaves)
    hbm = explain(_cache(p, tier="hbm"))
    assert hbm.usd_per_m_input_hit == pytest.approx(kv_gb / 3015 * per_gpu_s * 1e6, rel=1e-9)
    # keeping prefixes twice as long doubles the storage share; a set price wins
    ssd1, ssd2 = (explain(_cache(p, tier="ssd", retention_hours=h)) for h in (1.0, 2.0))
    load = kv_gb / (40 * 2**30 / 8e9) * per_gpu_s * 1e6
    assert ssd2.usd_per_m_input_hit - load == pytest.approx(
        2 * (ssd1.usd_per_m_input_hit - load), rel=1e-9)
    priced = explain(_cache(p, tier="ssd", usd_per_gb_hour=0.001))
    assert priced.usd_per_m_input_hit == pytest.approx(
        load + kv_gb * 0.001 / hits_per_stored * 1e6, rel=1e-9)


def test_mxfp4_experts_beside_bf16_attention_by_hand():
    # gpt-oss-20b on one H100 at batch 32: every one of the 32 experts of each of 24 layers is
    # all but surely hit (1 - (7/8)^32 = 98.6%); the experts stream at 0.531 bytes per
    # parameter, the 1.22B dense parameters (attention, router, LM head) at 2
    p = load_profile(PROFILES_DIR / "gpt-oss-20b-h100.yaml")
    m = p.model
    assert m.expert_bytes_per_param == 0.531 and m.bytes_per_param == 2
    experts = 24 * 32 * 24_883_200 * 0.531
    dense = (3.61e9 - 4 * 24 * 24_883_200) * 2
    assert memory_gb(p, 1, 1) == pytest.approx((experts + dense + 24_576) / 1e9, rel=1e-6)
    st = economics_at(p, 32, 1024)
    kv = 32 * 1024 * 24_576 / (3.35e12 * 0.9)
    read = busiest_experts_read(32, 4, 32, 1) * 24 * 24_883_200 * 0.531
    assert st.t_mem_s == pytest.approx(kv + (read + dense) / (3.35e12 * 0.54), rel=1e-6)
    # without the field the experts take the dense weights' precision (older profiles)
    qwen = load_profile(PROFILES_DIR / "qwen3-30b-a3b-h100.yaml").model
    assert qwen.expert_bytes_per_param == qwen.bytes_per_param == 2
