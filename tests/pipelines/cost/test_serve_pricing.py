"""Against a real `pipe serve` subprocess: a URL endpoint serving moe-tiny is priced from the
embedded-cpu deployment profile (never "unknown"), and `pipe cost calibrate` reads the server's
own /metrics into a calibrated embedded CPU profile."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import yaml

from pipelines.cost import load_profile
from pipelines.cost.economics import explain
from pipelines.cost.profiles import PROFILES_DIR
from pipelines.storage import RunStore
from tests.pipelines.live_server import free_port

ROOT = Path(__file__).resolve().parents[3]
PIPE = Path(sys.executable).with_name("pipe")
PROFILE = PROFILES_DIR / "embedded-cpu.yaml"
PER_M = 0.045 * 2 / 3600 * 1e6  # embedded-cpu: $ per 1M CPU-seconds of the 2-core server = 25
MEASURED = {1: 1330, 8: 4032, 32: 7681, 64: 9541}  # the profile's decode tok/s by batch


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`pipe serve` on a free 127.0.0.1 port: (base URL, /metrics URL)."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(PIPE), "serve", "--port", str(port)], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    root = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(f"{root}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"pipe serve did not start:\n{log.read_text()}"
        time.sleep(0.5)
    yield f"{root}/v1", f"{root}/metrics"
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


class Load:
    """`workers` clients sending chat completions back to back, so requests are running
    whenever /metrics is scraped."""

    def __init__(self, url: str, workers: int = 4):
        self.url, self.stop = url, threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(i,)) for i in range(workers)]

    def _loop(self, i: int) -> None:
        with httpx.Client(timeout=60) as client:
            while not self.stop.is_set():
                client.post(f"{self.url}/chat/completions", json={
                    "model": "moe-tiny", "max_tokens": 200, "temperature": 1.0, "seed": i,
                    "messages": [{"role": "user", "content": f"What is {i} + {i * 7}?"}]})

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        time.sleep(1.0)  # every worker has a request in the server
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)


def metric(text: str, name: str) -> float:
    """The sum of `name`'s samples (any labels) in the exposition, parsed here by hand."""
    found = re.findall(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", text, re.M)
    assert found, name
    return sum(float(v) for v in found)


def pipe(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(PIPE), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "80"})


def test_a_url_serving_moe_tiny_is_priced_from_the_embedded_profile(server, tmp_path):
    url, _ = server
    done = pipe("run", str(ROOT / "recipes" / "single.yaml"), "-p", "size=2", "-p",
                "max_tokens=8", "--endpoint", url, "--store", str(tmp_path / "s"), "--json",
                cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr  # 1: a wrong answer is not a failure here
    run_id = json.loads(done.stdout)["run_id"]
    calls = RunStore(tmp_path / "s").calls(run_id)
    assert len(calls) == 2
    for c in calls:
        night = not 6 <= datetime.fromisoformat(c.started_at).hour < 22  # off-peak 22:00-06:00
        output_rate = PER_M / (9541 if night else 4032)  # bulk (batch 64) or standard (batch 8)
        by_hand = ((c.prompt_tokens - c.cached_tokens) * PER_M / 11793
                   + c.cached_tokens * PER_M / 195797 + c.completion_tokens * output_rate) / 1e6
        assert c.endpoint == url and 0 < c.completion_tokens <= 8
        assert (c.price_source, c.tier) == ("profile:embedded-cpu-v2",
                                            "off-peak" if night else "standard")
        assert c.cost_usd == pytest.approx(by_hand, rel=1e-9)


def test_calibrate_reads_pipe_serve_metrics_into_the_cpu_profile(server, tmp_path):
    _, metrics = server
    first, second = tmp_path / "a.prom", tmp_path / "b.prom"
    with Load(server[0]):
        first.write_text(httpx.get(metrics).text)
        t0 = time.monotonic()
        time.sleep(3)
        second.write_text(httpx.get(metrics).text)
        window = time.monotonic() - t0
    out = tmp_path / "cal.yaml"
    done = pipe("cost", "calibrate", "--metrics", str(first), "--metrics", str(second),
                "--window", f"{window:.6f}", "--profile", str(PROFILE), "--out", str(out),
                cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    a, b = first.read_text(), second.read_text()
    generated = (metric(b, "vllm:generation_tokens_total")
                 - metric(a, "vllm:generation_tokens_total"))
    running = (metric(a, "vllm:num_requests_running") + metric(b, "vllm:num_requests_running")) / 2
    tok_s = generated / float(f"{window:.6f}")
    cal = yaml.safe_load(out.read_text())["calibration"]
    assert cal["output_tokens_per_s_per_gpu"] == pytest.approx(round(tok_s, 3))
    assert cal["running_requests"] == pytest.approx(round(running, 3))
    assert 1 <= running <= 4 and generated > 0
    # every measured batch scales by measured / interpolated-at-the-running-batch throughput
    lo = max(b for b in MEASURED if b <= running)
    hi = min(b for b in MEASURED if b >= running)
    at = MEASURED[lo] if hi == lo else \
        MEASURED[lo] + (MEASURED[hi] - MEASURED[lo]) * (running - lo) / (hi - lo)
    factor = round(tok_s, 3) / at
    # standard tier: the largest batch giving 400 tok/s per user; a calibrated server too
    # slow for that (a loaded 2-core machine) is priced at its smallest batch
    standard = max([b for b, v in MEASURED.items() if v * factor / b >= 400], default=1)
    e = explain(load_profile(out))
    assert e.calibration_factor == pytest.approx(factor, rel=1e-9)
    assert e.batch_per_gpu == standard
    assert e.usd_per_m_output == pytest.approx(PER_M / (MEASURED[standard] * factor), rel=1e-9)
    assert f"wrote {out}" in done.stdout and "bulk: $/1M output" in done.stdout
    assert f"profile:embedded-cpu-v2-calibrated-{cal['measured_at'][:10]}" in done.stdout


def test_calibrate_scrapes_a_live_pipe_serve_across_its_window(server, tmp_path):
    url, metrics = server
    out = tmp_path / "cal.yaml"
    with Load(url):
        before = metric(httpx.get(metrics).text, "vllm:generation_tokens_total")
        started = time.monotonic()
        done = pipe("cost", "calibrate", "--metrics", metrics, "--window", "3", "--profile",
                    str(PROFILE), "--out", str(out), cwd=tmp_path)
        elapsed = time.monotonic() - started
        after = metric(httpx.get(metrics).text, "vllm:generation_tokens_total")
    assert done.returncode == 0, done.stderr
    cal = yaml.safe_load(out.read_text())["calibration"]
    assert cal["source"] == metrics
    window = float(re.search(r"counter delta over ([\d.]+)s", cal["method"]).group(1))
    assert 3 <= window < elapsed
    # the tokens it counted were generated between this test's own scrapes around it
    assert 0 < cal["output_tokens_per_s_per_gpu"] * window <= after - before + 1e-6
    assert 1 <= cal["running_requests"] <= 4
