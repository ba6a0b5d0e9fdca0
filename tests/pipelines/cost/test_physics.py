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
    # qwen3-30b on one H100 at batch 32 is HBM-bound in decode (compute 0.45 of 22 ms) and
    # compute-bound in prefill: +10% HBM efficiency -> +10% tokens/s and $/1M output x 1/1.1;
    # +10% prefill MFU -> $/1M input x 1/1.1; no links are used on one GPU
    rows = {r.parameter: r for r in sensitivity(load_profile(PROFILES_DIR /
                                                             "qwen3-30b-a3b-h100.yaml"))}
    hbm = rows["hardware.hbm_efficiency"]
    assert hbm.tokens_per_s_per_gpu == pytest.approx(0.1)
    assert hbm.usd_per_m_output == pytest.approx(1 / 1.1 - 1)
    assert rows["deployment.prefill_mfu"].usd_per_m_input_miss == pytest.approx(1 / 1.1 - 1)
    assert rows["hardware.scale_out_gb_s"].tokens_per_s_per_gpu == 0.0


def test_cli_sensitivity_table_at_80_columns():
    result = subprocess.run([str(PIPE), "cost", "sensitivity", str(DEEPSEEK)],
                            capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    # EP144 decode is bound by InfiniBand: +10% scale-out bandwidth -> ~+10% tokens/s
    row = next(line for line in lines if line.startswith("hardware.scale_out_gb_s"))
    assert float(row.split()[2].rstrip("%")) == pytest.approx(9.8, abs=0.2)
