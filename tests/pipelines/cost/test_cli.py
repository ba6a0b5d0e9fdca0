"""`pipe cost explain` and `pipe cost sweep` through click, as users run them."""

import json

import pytest
from click.testing import CliRunner

from pipelines.cost.cli import cost
from pipelines.cost.profiles import PROFILES_DIR

DEEPSEEK = str(PROFILES_DIR / "deepseek-v3-h800-ep144.yaml")
JSON_KEYS = {"tokens_per_s_per_gpu", "tokens_per_s_per_user", "usd_per_m_output",
             "usd_per_m_input_miss", "usd_per_m_input_hit", "batch_per_gpu", "t_mem_s",
             "t_compute_s", "t_comm_s"}


def run(*args):
    return CliRunner().invoke(cost, list(args))


def test_explain_json_keys_and_values():
    result = run("explain", DEEPSEEK, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert JSON_KEYS <= set(data)
    assert data["batch_per_gpu"] == 128
    # MTP: each step yields 1 + 0.85 tokens per sequence; the step is the overlapped time
    assert data["tokens_per_s_per_user"] == pytest.approx(1.85 / data["t_step_s"])
    assert data["tokens_per_s_per_gpu"] == pytest.approx(128 * 1.85 / data["t_step_s"])
    assert data["t_step_s"] >= max(data["t_gpu_s"], data["t_comm_s"])


def test_explain_overrides_batch_and_context():
    small = json.loads(run("explain", DEEPSEEK, "--batch", "16", "--context", "1000",
                           "--format", "json").output)
    assert (small["batch_per_gpu"], small["context_len"]) == (16, 1000)
    big = json.loads(run("explain", DEEPSEEK, "--format", "json").output)
    assert small["tokens_per_s_per_user"] > big["tokens_per_s_per_user"]


def test_explain_speed_target():
    data = json.loads(run("explain", DEEPSEEK, "--tps-user", "30", "--format", "json").output)
    assert data["tokens_per_s_per_user"] >= 30
    assert data["batch_per_gpu"] < 128


def test_explain_table_shows_the_split():
    result = run("explain", DEEPSEEK)
    assert result.exit_code == 0
    for label in ("tokens/s per GPU", "$/1M output", "$/1M input, cache miss",
                  "$/1M input, cache hit", "memory", "compute", "communication"):
        assert label in result.output, label


def test_explain_batch_and_target_together_is_bad_input():
    result = run("explain", DEEPSEEK, "--batch", "8", "--tps-user", "20")
    assert result.exit_code == 2 and "not both" in result.output


def test_explain_missing_file_is_bad_input(tmp_path):
    result = run("explain", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2 and "cannot read" in result.output


def test_sweep_prints_a_table_and_writes_a_png(tmp_path):
    out = tmp_path / "plots" / "sweep.png"
    result = run("sweep", DEEPSEEK, "--out", str(out), "--batches", "1,8,64,512")
    assert result.exit_code == 0, result.output
    rows = [ln for ln in result.output.splitlines() if ln.strip()[:1].isdigit()]
    assert [float(r.split()[0]) for r in rows] == [1, 8, 64, 512]
    costs = [float(r.split()[3]) for r in rows]
    assert costs == sorted(costs, reverse=True)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_sweep_of_a_measured_profile_is_bad_input():
    result = run("sweep", str(PROFILES_DIR / "embedded-cpu.yaml"))
    assert result.exit_code == 2 and "measured profile" in result.output
    assert "measured batches (1, 8, 32, 64); fix: `pipe cost explain PROFILE --batch B`" \
        in result.output


def test_explain_a_measured_batch_and_both_tiers_as_json():
    # batch 32 of embedded-cpu: 7,681 tok/s -> $25 per 1M CPU-seconds / 7,681 per 1M output
    result = run("explain", str(PROFILES_DIR / "embedded-cpu.yaml"), "--batch", "32",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["usd_per_m_output"] == pytest.approx(25 / 7681, rel=1e-12)
    assert "bulk" not in data  # an explicit batch is one operating point
    tiers = json.loads(run("explain", str(PROFILES_DIR / "embedded-cpu.yaml"), "--format",
                           "json").output)
    assert (tiers["batch_per_gpu"], tiers["bulk"]["batch_per_gpu"]) == (8, 64)
    assert tiers["bulk"]["usd_per_m_output"] == pytest.approx(25 / 9541, rel=1e-12)
    assert tiers["off_peak"] == {"start": "22:00", "end": "06:00"}
    bad = run("explain", str(PROFILES_DIR / "embedded-cpu.yaml"), "--batch", "16")
    assert bad.exit_code == 2 and "batch 16 was not measured; fix: use one of 1, 8, 32, 64" \
        in bad.output


def test_sweep_bad_batches():
    result = run("sweep", DEEPSEEK, "--batches", "1,x")
    assert result.exit_code == 2 and "comma" in result.output
