"""The model against published deployments (recipes/cost/published.yaml).

What was fitted, and on what: gemm_hbm_efficiency (0.54), linear_efficiency (0.38),
layer_overhead_us (47) and step_overhead_ms (8.7) come from the kernel times of DeepSeek's
decode profile, the point `deepseek-profile-decode` (role `fit`): its agreement is not
evidence. prefill_mfu (0.4) is assumed, comm_sm_fraction (0.31) and every bandwidth are kernel
benchmarks (LMSYS, DeepEP, FlashMLA), none fitted to an end-to-end figure. The `held-out`
points (SGLang's 96 x H100 runs, DeepSeek's prefill profile) were not used to set anything.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cost.validate import compare, format_validation, load_published, validate

PIPE = Path(sys.executable).parent / "pipe"
PUBLISHED = load_published()
TOL = PUBLISHED.tolerance
# The held-out point the model misses: SGLang's 4K prefill with its default expert placement,
# which is skewed, where the model knows only random routing (the same run with balanced
# expert choice, sglang-h100-prefill-4k-balanced, is matched: 1.01x).
KNOWN_MISSES = {"sglang-h100-prefill-4k": "modelled 1.19x: default (skewed) expert placement"}


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
