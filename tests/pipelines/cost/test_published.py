"""The model against published deployments (recipes/cost/published.yaml).

What was fitted, and on what: gemm_hbm_efficiency (0.54), linear_efficiency (0.38),
layer_overhead_us (47) and step_overhead_ms (8.7) come from the kernel times of DeepSeek's
decode profile, the point `deepseek-profile-decode` (role `fit`): its agreement is not
evidence. prefill_mfu (0.4) is assumed, comm_sm_fraction (0.31) and every bandwidth are kernel
benchmarks (LMSYS, DeepEP, FlashMLA), none fitted to an end-to-end figure. The `held-out`
points (SGLang's 96 x H100 runs, DeepSeek's prefill profile) were not used to set anything.
The single-GPU points of other models (Qwen3-30B-A3B on an A100 under vLLM, gpt-oss-20b on an
H100 under SGLang) are held out too: they take the DeepSeek-fitted figures unchanged, the 47 us
of small kernels per layer included, and nothing was set after seeing them.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cost.validate import (compare, format_validation, load_published, point_profile,
                                     validate)

PIPE = Path(sys.executable).parent / "pipe"
PUBLISHED = load_published()
TOL = PUBLISHED.tolerance
# The held-out point the model misses: SGLang's 4K prefill with its default expert placement,
# which is skewed, where the model knows only random routing (the same run with balanced
# expert choice, sglang-h100-prefill-4k-balanced, is matched: 1.01x).
# The A100 points: every kernel figure was measured on Hopper; batch-1 decode on an A100
# (1.41 GHz against 1.98) spends longer in its small kernels and per-step work than the 47 us
# per layer measured on H800, and its GQA attention reads KV slower than FlashMLA's 90%.
KNOWN_MISSES = {
    "sglang-h100-prefill-4k": "modelled 1.19x: default (skewed) expert placement",
    "vllm-a100-qwen3-30b-b1": "modelled 1.17x: small-kernel and step time measured on Hopper",
    "vllm-a100-qwen3-30b-b1-8k": "modelled 1.22x: as above, and batch-1 GQA KV reads slower",
}


def _compared():
    return [pytest.param(pt, id=pt.id, marks=[pytest.mark.xfail(
        strict=True, reason=KNOWN_MISSES[pt.id])] if pt.id in KNOWN_MISSES else [])
            for pt in PUBLISHED.points if pt.role != "average"]


def test_at_least_four_held_out_deployments_and_sources_named():
    held_out = [pt for pt in PUBLISHED.points if pt.role == "held-out"]
    assert len(held_out) >= 4
    assert {pt.phase for pt in held_out} == {"decode", "prefill"}
    for pt in PUBLISHED.points:
        assert pt.source.url.startswith("https://") and pt.source.date[:4] == "2025"


def test_other_models_on_one_gpu_are_held_out_with_the_deepseek_figures():
    # at least two models besides DeepSeek-V3, on single GPUs, none tuning a fitted figure
    others = [pt for pt in PUBLISHED.points if not pt.profile.startswith("deepseek")]
    assert {point_profile(pt).model.name for pt in others} >= {"qwen3-30b-a3b", "gpt-oss-20b"}
    fitted = {"gemm_hbm_efficiency", "linear_efficiency", "hbm_efficiency", "step_overhead_ms"}
    for pt in others:
        p = point_profile(pt)
        assert pt.role == "held-out" and p.deployment.gpus == 1
        assert not fitted & {k for section in pt.overrides.values() for k in section}
        assert (p.hardware.gemm_hbm_efficiency, p.hardware.linear_efficiency) == (0.54, 0.38)
        assert p.deployment.layer_overhead_us == 47 and p.deployment.step_overhead_ms == 0


def test_gpt_oss_batch_is_the_published_decoding_concurrency():
    # SGLang admitted 32 requests, but each spends TTFT (3,721.89 of 11,769.33 ms) before it
    # decodes: the sequences decoding on average are output tok/s x TPOT (Little's law)
    pt = next(pt for pt in PUBLISHED.points if pt.id == "sglang-h100-gpt-oss-20b")
    tpot = (11769.33 - 3721.89) / 1e3 / (1024 - 1)
    assert pt.batch_per_gpu == pytest.approx(pt.published.tokens_per_s_per_gpu * tpot, abs=0.01)
    assert pt.batch_per_gpu < 32


def test_mxfp4_experts_are_what_makes_gpt_oss_match():
    # read at BF16 the experts would take 3.8x the bytes: the model would be far too slow
    pt = next(pt for pt in PUBLISHED.points if pt.id == "sglang-h100-gpt-oss-20b")
    as_bf16 = pt.model_copy(update={"overrides": {"model": {"expert_bytes_per_param": 2}}})
    assert abs(compare(pt).ratio - 1) <= TOL
    assert compare(as_bf16).ratio < 0.5


@pytest.mark.parametrize("point", _compared())
def test_point_within_tolerance(point):
    r = compare(point)
    assert abs(r.ratio - 1) <= TOL, f"modelled / published = {r.ratio:.3f}"
    assert abs(r.modelled_usd / r.published_usd - 1) <= TOL


def test_dollars_follow_the_published_gpu_price():
    # SGLang quotes $0.20 per 1M output at 22.3k tok/s per node: $2/GPU-hour / 2,785 tok/s
    r = compare(next(pt for pt in PUBLISHED.points if pt.id == "sglang-h100-decode"))
    assert 2 / 3600 / 2785 * 1e6 == pytest.approx(r.published_usd, rel=0.01)
    assert r.modelled_usd == pytest.approx(2 / 3600 / r.modelled_tps * 1e6, rel=1e-9)


@pytest.mark.parametrize("point", [pt for pt in PUBLISHED.points if pt.role == "average"],
                         ids=lambda pt: pt.id)
def test_a_steady_full_batch_beats_a_daily_service_average(point):
    # DeepSeek's 24-hour averages sit below its own steady profiles (decode 1.26x, prefill
    # 1.95x below); the model is a steady full batch, so it must come out above them
    assert compare(point).ratio > 1.0


def test_cli_validate_table_and_json():
    text = subprocess.run([str(PIPE), "cost", "validate"], capture_output=True, text=True,
                          check=True).stdout
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "sglang-h100-decode " in text and "held-out" in text
    out = subprocess.run([str(PIPE), "cost", "validate", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    points = {p["id"]: p for p in json.loads(out)["points"]}
    assert points["deepseek-profile-decode"]["role"] == "fit"
    assert set(points) == {pt.id for pt in PUBLISHED.points}


def test_cli_validate_check_fails_on_a_miss(tmp_path):
    # a held-out point moved 30% off: --check exits 1 and the row says NO
    text = (Path(__file__).parents[3] / "recipes/cost/published.yaml").read_text()
    bad = tmp_path / "published.yaml"
    bad.write_text(text.replace("tokens_per_s_per_gpu: 2785", "tokens_per_s_per_gpu: 4000"))
    result = subprocess.run([str(PIPE), "cost", "validate", "--published", str(bad), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    row = next(line for line in result.stdout.splitlines() if line.startswith("sglang-h100-decode "))
    assert row.endswith("NO")


def test_a_bad_point_is_one_error_with_its_line(tmp_path):
    bad = tmp_path / "published.yaml"
    bad.write_text("tolerance: 0.15\npoints:\n  - id: x\n    role: guess\n")
    result = subprocess.run([str(PIPE), "cost", "validate", "--published", str(bad)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "published.yaml:4" in result.stderr and "role" in result.stderr
    assert format_validation(*validate()).count("\n") == len(PUBLISHED.points) + 3


ROOT = Path(__file__).parents[3]
LOCAL = re.compile(r"(?<![/\w])((?:pipelines|recipes|docs|tests|benchmarks|scripts)/"
                   r"[\w./-]+\.(?:py|md|yaml))")


def test_every_repository_file_a_cost_document_cites_exists():
    # the GPU catalogue, sheets, profiles, published points and docs/cost.md name files of
    # this repository as sources: each must exist (a dangling citation fails here)
    documents = [*sorted((ROOT / "recipes/cost").rglob("*.yaml")), ROOT / "docs/cost.md"]
    cited = {(doc.name, ref.rstrip(".")) for doc in documents
             for ref in LOCAL.findall(doc.read_text())}
    assert len(cited) >= 5
    missing = [(doc, ref) for doc, ref in cited if not (ROOT / ref).exists()]
    assert not missing
