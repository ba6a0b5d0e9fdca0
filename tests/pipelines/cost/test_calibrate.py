"""`pipe cost calibrate` from saved vLLM and SGLang scrapes and from a live /metrics URL."""

import http.server
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cost import explain, load_profile
from pipelines.cost.calibrate import calibrate, measure
from pipelines.cost.cli import cost
from pipelines.cost.profiles import PROFILES_DIR
from pipelines.cost.prometheus import fetch, parse_exposition
from pipelines.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures"
VLLM_T0, VLLM_T60 = str(FIXTURES / "vllm_t0.prom"), str(FIXTURES / "vllm_t60.prom")
SGLANG = str(FIXTURES / "sglang.prom")
QWEN = PROFILES_DIR / "qwen3-30b-a3b-h100.yaml"
DEEPSEEK_H100 = PROFILES_DIR / "deepseek-v3-h100.yaml"


def test_parse_sums_label_sets_and_reads_histograms():
    s = fetch(VLLM_T0)
    assert s.style == "vllm"
    assert s.total("vllm:request_success") == 8112 + 391 + 4
    assert s.total("vllm:time_per_output_token_seconds_count") == 2.5e6
    assert s.total("vllm:no_such_metric") is None


def test_parse_rejects_garbage_with_its_line():
    with pytest.raises(InputError, match=r"x\.prom:2: not a Prometheus sample line"):
        parse_exposition("# HELP a b\nthis is { not metrics\n", "x.prom")


def test_vllm_two_scrapes_counter_deltas():
    # 60 s apart: generation 2,500,000 -> 2,578,000 (+78,000 -> 1,300 tok/s);
    # prefix cache hits +79,560 of +234,000 queried tokens (34%); prompt +234,000 (3.0 per output)
    m = measure([fetch(VLLM_T0), fetch(VLLM_T60)], window=60)
    assert m.running == 32  # (31 + 33) / 2
    assert m.output_tokens_per_s == pytest.approx(1300.0)
    assert m.prefix_hit_rate == pytest.approx(0.34)
    assert m.prompt_tokens_per_output == pytest.approx(3.0)
    assert "counter delta over 60s" in m.method


def test_vllm_single_scrape_uses_time_per_output_token():
    # mean TPOT 61,250 s / 2,500,000 tokens = 24.5 ms; 31 running / 0.0245 s = 1,265.3 tok/s;
    # hit rate from the cumulative counters: 2.6M / 8M = 32.5%
    m = measure([fetch(VLLM_T0)])
    assert m.output_tokens_per_s == pytest.approx(31 / 0.0245)
    assert m.prefix_hit_rate == pytest.approx(0.325)
    assert "time_per_output_token" in m.method


def test_sglang_gauges():
    m = measure([fetch(SGLANG)])
    assert (m.running, m.output_tokens_per_s, m.prefix_hit_rate) == (768, 24000, 0.42)
    assert m.prompt_tokens_per_output == pytest.approx(5.1e8 / 1.7e8)
    assert m.method == "sglang:gen_throughput gauge"


USD_PER_GPU_S = 2.5 / 0.8 / 3600  # qwen3-30b-a3b-h100: $2.5/GPU-h at 80% utilisation
UNCACHED = (8.234e6 - 8.0e6 - (2.67956e6 - 2.6e6)) / 60  # prompt - cached tokens, per second


def _busy_seconds(profile, output_tps, prompt_tps):
    """GPU-seconds per second the profile needs for these rates (1.0: exactly busy)."""
    e = explain(profile)
    return output_tps / e.tokens_per_s_per_gpu + prompt_tps * e.usd_per_m_input_miss / (
        USD_PER_GPU_S * 1e6)


def test_calibrated_vllm_profile(tmp_path):
    # an aggregated server with requests waiting (saturated): it was busy all 60 s decoding
    # 1,300 tok/s and prefilling 2,574 uncached prompt tok/s, so decode and prefill both scale
    # by the busy fraction the model gives those rates
    out = tmp_path / "qwen-cal.yaml"
    profile, _ = calibrate(QWEN, [VLLM_T0, VLLM_T60], out, window=60)
    again = load_profile(out)  # the written file is a valid profile
    assert again == profile
    assert again.deployment.batch_per_gpu == 32  # 32 running on 1 GPU
    assert again.workload.prefix_hit_rate == pytest.approx(0.34)
    assert again.calibration.output_tokens_per_s_per_gpu == pytest.approx(1300.0)
    assert again.calibration.prompt_tokens_per_s_per_gpu == pytest.approx(UNCACHED, rel=1e-4)
    model = again.model_copy(update={"calibration": None})
    busy = _busy_seconds(model, 1300.0, UNCACHED)
    e = explain(again)
    assert e.calibration_factor == pytest.approx(busy, rel=1e-4)
    assert e.prefill_calibration_factor == pytest.approx(busy, rel=1e-4)
    assert _busy_seconds(again, 1300.0, UNCACHED) == pytest.approx(1.0, rel=1e-4)
    assert e.usd_per_m_output == pytest.approx(USD_PER_GPU_S / e.tokens_per_s_per_gpu * 1e6)


def test_calibration_by_role(tmp_path):
    # decode servers: decode alone from the output rate; prefill servers: prefill alone from
    # the uncached prompt rate, the profile's batch kept; an aggregated server with nobody
    # waiting: decode gets the GPU time the (modelled) prefill leaves, prefill is not measured
    base = explain(load_profile(QWEN))
    dec, _ = calibrate(QWEN, [VLLM_T0, VLLM_T60], tmp_path / "d.yaml", window=60, role="decode")
    model = dec.model_copy(update={"calibration": None})
    e = explain(dec)
    assert e.calibration_factor == pytest.approx(1300.0 / explain(model).tokens_per_s_per_gpu)
    assert e.prefill_calibration_factor == 1.0
    pre, _ = calibrate(QWEN, [VLLM_T0, VLLM_T60], tmp_path / "p.yaml", window=60, role="prefill")
    assert pre.deployment == load_profile(QWEN).deployment and pre.calibration.role == "prefill"
    e = explain(pre)
    assert e.calibration_factor == 1.0
    assert e.usd_per_m_input_miss == pytest.approx(USD_PER_GPU_S / UNCACHED * 1e6, rel=1e-4)
    assert e.usd_per_m_output == pytest.approx(base.usd_per_m_output)
    idle = tmp_path / "t60.prom"
    idle.write_text(Path(VLLM_T60).read_text().replace(
        'num_requests_waiting{engine="0",model_name="Qwen/Qwen3-30B-A3B"} 1.0',
        'num_requests_waiting{engine="0",model_name="Qwen/Qwen3-30B-A3B"} 0.0'))
    agg, _ = calibrate(QWEN, [VLLM_T0, str(idle)], tmp_path / "a.yaml", window=60)
    model = agg.model_copy(update={"calibration": None})
    prefill_share = _busy_seconds(model, 0.0, UNCACHED)
    e = explain(agg)
    assert e.calibration_factor == pytest.approx(
        1300.0 / explain(model).tokens_per_s_per_gpu / (1 - prefill_share), rel=1e-4)
    assert e.prefill_calibration_factor == 1.0


def test_prefill_role_without_prompt_growth_is_an_error(tmp_path):
    with pytest.raises(InputError, match="no uncached prompt tokens were prefilled"):
        calibrate(QWEN, [VLLM_T0, VLLM_T0], tmp_path / "x.yaml", window=60, role="prefill")


def test_calibrated_sglang_profile_divides_by_gpus(tmp_path):
    out = tmp_path / "ds-cal.yaml"
    profile, _ = calibrate(DEEPSEEK_H100, [SGLANG], out)
    # 768 running and 24,000 tok/s over the profile's 16 GPUs
    assert profile.deployment.batch_per_gpu == 48 and profile.deployment.tps_per_user is None
    assert profile.calibration.output_tokens_per_s_per_gpu == 1500
    assert explain(profile).tokens_per_s_per_gpu == pytest.approx(1500)
    assert profile.workload.prefix_hit_rate == 0.42


def test_idle_server_is_an_error(tmp_path):
    idle = tmp_path / "idle.prom"
    idle.write_text(Path(SGLANG).read_text().replace(
        'sglang:num_running_reqs{model_name="deepseek-ai/DeepSeek-V3"} 768.0',
        'sglang:num_running_reqs{model_name="deepseek-ai/DeepSeek-V3"} 0.0'))
    with pytest.raises(InputError, match="no requests were running"):
        measure([fetch(str(idle))])


def test_scrape_without_serving_metrics_is_an_error(tmp_path):
    other = tmp_path / "node.prom"
    other.write_text("# TYPE node_load1 gauge\nnode_load1 0.5\n")
    with pytest.raises(InputError, match="no running-requests gauge"):
        measure([fetch(str(other))])


class _Scrapes(http.server.BaseHTTPRequestHandler):
    """Serves the two saved vLLM scrapes in turn, as a live server's counters would grow."""

    bodies = [Path(VLLM_T0).read_bytes(), Path(VLLM_T60).read_bytes()]
    served = 0

    def do_GET(self):  # noqa: N802 (http.server naming)
        body = self.bodies[min(type(self).served, 1)]
        type(self).served += 1
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_cli_calibrate_from_a_live_url(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Scrapes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        out = tmp_path / "live.yaml"
        started = time.monotonic()
        result = CliRunner().invoke(cost, ["calibrate", "--metrics", url, "--profile", str(QWEN),
                                           "--out", str(out), "--window", "0.2"])
        wall = time.monotonic() - started
    finally:
        server.shutdown()
    assert result.exit_code == 0, result.output
    # the counters grew by 78,000 tokens between the first and last scrapes, at least 0.2 s
    # apart (timed by the clock) and at most the whole command's wall time apart
    profile = load_profile(out)
    assert 78_000 / wall < profile.calibration.output_tokens_per_s_per_gpu <= 78_000 / 0.2
    assert profile.calibration.source == url
    assert "wrote" in result.output and "tokens/s per GPU" in result.output


def test_cli_calibrate_needs_a_reachable_source(tmp_path):
    result = CliRunner().invoke(cost, ["calibrate", "--metrics", str(tmp_path / "none.prom"),
                                       "--profile", str(QWEN), "--out", str(tmp_path / "o.yaml")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_sglang_per_rank_hit_rate_is_averaged_weighted_by_prompt_tokens():
    # 8 ranks: rank 0 0.9 with 3,000 prompt tokens, ranks 1-7 0.5 with 1,000 each ->
    # (0.9*3000 + 0.5*7000) / 10,000 = 0.62 (summing would give 4.4, read as 4.4%)
    m = measure([fetch(str(FIXTURES / "sglang_ranks.prom"))])
    assert m.prefix_hit_rate == pytest.approx(0.62)
    assert (m.running, m.output_tokens_per_s) == (128, 3200)  # counts add up over ranks
    assert m.kv_cache_usage == pytest.approx(0.6) and m.waiting == 16


def test_vllm_v1_gpu_prefix_cache_names_kv_usage_ttft_and_waiting():
    m = measure([fetch(str(FIXTURES / "vllm_v1_gpu_prefix.prom"))])
    assert m.prefix_hit_rate == pytest.approx(0.25)  # 100,000 / 400,000
    assert m.prompt_tokens_per_output == pytest.approx(4.0)
    assert m.ttft_s == pytest.approx(0.25) and m.kv_cache_usage == pytest.approx(0.8)
    assert m.waiting == 3 and m.cached_tokens == 100_000
    assert m.output_tokens_per_s == pytest.approx(24 * 100_000 / 2000)  # running / mean TPOT


def test_scrapes_of_several_nodes_are_combined(tmp_path):
    node_a, node_b = str(FIXTURES / "vllm_v1_gpu_prefix.prom"), str(FIXTURES / "sglang_ranks.prom")
    out = tmp_path / "two-nodes.yaml"
    profile, m = calibrate(DEEPSEEK_H100, [node_a, node_b, SGLANG], out)
    assert m.nodes == 3 and m.running == 24 + 128 + 768
    assert m.output_tokens_per_s == pytest.approx(1200 + 3200 + 24000)
    assert profile.calibration.nodes == 3 and profile.calibration.waiting_requests == 3 + 16 + 12
    # hit rates weighted by each node's prompt tokens: 0.25 x 400,000, 0.62 x 10,000, 0.42 x 5.1e8
    weighted = (0.25 * 4e5 + 0.62 * 1e4 + 0.42 * 5.1e8) / (4e5 + 1e4 + 5.1e8)
    assert m.prefix_hit_rate == pytest.approx(weighted)
    assert profile.workload.prefix_hit_rate == round(weighted, 4)
