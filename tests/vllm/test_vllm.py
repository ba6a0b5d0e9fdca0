"""pipe against a server it did not write: vLLM (CPU build) serving `python -m moe.export` of the
shipped weights. One vLLM start for the whole module (conftest.py); `-m vllm` selects it."""

from __future__ import annotations

import json
import math
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml

from moe.data import aggregate_prompt, arith_items, solve_prompt
from pipelines.cost.prometheus import parse_exposition

from tests.vllm.conftest import PIPE, ROOT

pytestmark = pytest.mark.vllm

QUESTIONS = [item["question"] for item in arith_items(5, seed=23)]
CONVERSATIONS = [[{"role": "user", "content": solve_prompt(q)}] for q in QUESTIONS] + [
    [{"role": "user", "content": aggregate_prompt(QUESTIONS[0], ["2+3=5\n\\boxed{5}", "2+3=6\n\\boxed{6}"])}],
    [{"role": "system", "content": "Answer in \\boxed{}."}, {"role": "user", "content": "Compute 4+5."},
     {"role": "assistant", "content": "4+5=9\n\\boxed{9}"}, {"role": "user", "content": solve_prompt(QUESTIONS[1])}],
]
BLOCK = 32
"""vLLM's KV block size as scripts/vllm-serve.sh sets it: prefix-cache hits come in whole blocks."""
RSA_PARAMS = ["-p", "size=12", "-p", "N=4", "-p", "K=2", "-p", "T=2", "-p", "max_tokens=120"]


def chat(base: str, messages: list[dict], **params) -> dict:
    body = {"model": "moe-tiny", "messages": messages, "temperature": 0, "max_tokens": 160, **params}
    response = httpx.post(f"{base}/chat/completions", json=body, timeout=300)
    response.raise_for_status()
    return response.json()


def pipe(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([str(PIPE), *args], cwd=cwd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, \
        f"pipe {' '.join(args)} -> {done.returncode}\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done


def metrics_url(base: str) -> str:
    return base.removesuffix("/v1") + "/metrics"


def scrape(metrics: str):
    return parse_exposition(httpx.get(metrics, timeout=10).text, metrics)


def test_greedy_text_equals_pipe_serve(vllm_url, pipe_serve_url):
    for messages in CONVERSATIONS:
        theirs, ours = chat(vllm_url, messages), chat(pipe_serve_url, messages)
        assert theirs["choices"][0]["message"]["content"] == ours["choices"][0]["message"]["content"]
        assert theirs["choices"][0]["finish_reason"] == ours["choices"][0]["finish_reason"]
        assert theirs["usage"]["prompt_tokens"] == ours["usage"]["prompt_tokens"]
        assert theirs["usage"]["completion_tokens"] == ours["usage"]["completion_tokens"]


def test_cached_prompt_tokens_come_back_in_usage(vllm_url):
    question = f"{QUESTIONS[2]} (cache probe {time.time_ns()})"  # a prefix no earlier test sent
    messages = [{"role": "user", "content": aggregate_prompt(question, ["1+1=2\n\\boxed{2}"] * 4)}]
    first, second = chat(vllm_url, messages, max_tokens=4), chat(vllm_url, messages, max_tokens=4)
    prompt = first["usage"]["prompt_tokens"]
    assert prompt > 2 * BLOCK
    # the first block of this prompt is new; the repeat hits every whole block but the last token
    assert first["usage"]["prompt_tokens_details"]["cached_tokens"] < BLOCK
    assert second["usage"]["prompt_tokens_details"]["cached_tokens"] == (prompt - 1) // BLOCK * BLOCK


def _accuracy(run: dict, store: Path, cwd: Path) -> tuple[float, int, float, int]:
    """(final accuracy, items, step-1 sample accuracy, samples) of a finished RSA run."""
    show = json.loads(pipe("show", run["run_id"], "--store", str(store), "--json", cwd=cwd).stdout)
    step1 = next(row for row in show["steps"] if row["step"] == 1)
    acc = run["accuracy"]
    return acc["accuracy"], acc["total"], step1["mean_acc"], step1["items"] * 4


def _z(p1: float, n1: int, p2: float, n2: int) -> float:
    """Two-proportion z statistic (pooled)."""
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    spread = math.sqrt(max(pooled * (1 - pooled), 1e-9) * (1 / n1 + 1 / n2))
    return (p1 - p2) / spread


def test_rsa_run_on_vllm_is_in_line_with_embedded(vllm_url, tmp_path):
    recipe = str(ROOT / "recipes" / "rsa_math.yaml")
    before = scrape(metrics_url(vllm_url))
    on_vllm = json.loads(pipe("run", recipe, "--endpoint", vllm_url, *RSA_PARAMS, "--no-cache", "--json",
                              "--store", str(tmp_path / "v"), cwd=tmp_path).stdout)
    after = scrape(metrics_url(vllm_url))
    embedded = json.loads(pipe("run", recipe, "--endpoint", "embedded", *RSA_PARAMS, "--no-cache", "--json",
                               "--store", str(tmp_path / "e"), cwd=tmp_path).stdout)
    assert on_vllm["status"] == embedded["status"] == "ok"
    assert on_vllm["calls"] == embedded["calls"] == 12 * 4 * 2
    v_final, items, v_step1, samples = _accuracy(on_vllm, tmp_path / "v", tmp_path)
    e_final, _, e_step1, _ = _accuracy(embedded, tmp_path / "e", tmp_path)
    print(f"\nRSA accuracy vLLM {v_final:.3f} vs embedded {e_final:.3f} ({items} items); "
          f"step-1 samples {v_step1:.3f} vs {e_step1:.3f} ({samples} each)")
    # Seeded sampling differs between engines: the same distribution, not the same samples.
    assert abs(_z(v_step1, samples, e_step1, samples)) < 3
    assert abs(_z(v_final, items, e_final, items)) < 3
    # Cached prompt tokens recorded by pipe are exactly vLLM's prefix-cache hits in that window.
    calls = json.loads(pipe("show", on_vllm["run_id"], "--store", str(tmp_path / "v"), "--json",
                            cwd=tmp_path).stdout)
    cached = sum(node["cached_tokens"] for node in calls["nodes"])
    hits = after.total("vllm:prefix_cache_hits") - before.total("vllm:prefix_cache_hits")
    assert cached == hits > 0


class Load:
    """Keeps `width` greedy requests in flight against a server until stopped. Their lengths
    differ, so they never all finish in one step (a scrape then would see none running)."""

    def __init__(self, base: str, width: int):
        self.base, self.stop, self.errors = base, threading.Event(), []
        self.finished = [0] * width
        self.threads = [threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(width)]

    def _loop(self, i: int) -> None:
        messages = [{"role": "user", "content": solve_prompt(QUESTIONS[i % len(QUESTIONS)])}]
        while not self.stop.is_set():
            try:
                chat(self.base, messages, max_tokens=600 + 12 * i, ignore_eos=True)
            except httpx.HTTPError as exc:  # a dead load thread would look like an idle server
                self.errors.append(repr(exc))
                return
            self.finished[i] += 1

    def warm(self, timeout: float = 300) -> None:
        """Wait until every thread has finished a request: a fresh vLLM compiles each new shape
        on first use, and a server busy compiling is not the steady load calibration measures."""
        deadline = time.monotonic() + timeout
        while min(self.finished) < 1 and not self.errors:
            assert time.monotonic() < deadline, f"load not warm after {timeout}s: {self.finished}"
            time.sleep(0.2)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=300)
        if self.errors:  # shown in the report of whatever failed inside the block
            print("load threads died:", *self.errors, sep="\n  ")


def busy_scrape(metrics: str) -> str:
    """A scrape taken while requests run (the first requests may still be queued)."""
    for _ in range(100):
        text = httpx.get(metrics, timeout=10).text
        if parse_exposition(text, metrics).total("vllm:num_requests_running"):
            return text
        time.sleep(0.1)
    raise AssertionError(f"{metrics}: no request running under load")


LOAD_WIDTH = 8
"""Requests kept in flight while calibrating. Each is long (600+ tokens): with 4 short ones a
clean-clone CI run found the engine idle in 33 of 39 samples, the HTTP round trips outweighing
the tiny model's decoding."""


def calibrate_live(metrics: str, profile: Path, cwd: Path) -> subprocess.CompletedProcess:
    """`pipe cost calibrate` on the live server while this test samples the running-requests
    gauge itself. A CPU vLLM under a loaded CI machine can stall for seconds (clean-clone runs
    twice saw every sample of calibrate's window idle): a try whose whole run the harness also
    saw idle is made again; one where the harness saw requests running must succeed."""
    argv = [str(PIPE), "cost", "calibrate", "--metrics", metrics, "--profile", str(profile), "--window", "6",
            "--out", str(cwd / "live.yaml")]
    for _ in range(3):
        done, busy = threading.Event(), []

        def sample() -> None:
            while not done.is_set():
                busy.append(scrape(metrics).total("vllm:num_requests_running") or 0)
                time.sleep(0.2)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        run = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=900)
        done.set()
        sampler.join(timeout=30)
        if run.returncode == 0 or any(busy):
            break
    assert run.returncode == 0, (f"pipe cost calibrate -> {run.returncode} while the harness saw "
                                 f"{sum(b > 0 for b in busy)}/{len(busy)} busy samples\n{run.stdout}{run.stderr}")
    return run


def test_cost_calibrate_reads_vllm_metrics(vllm_url, tmp_path):
    metrics = metrics_url(vllm_url)
    profile = ROOT / "recipes" / "cost" / "profiles" / "qwen3-30b-a3b-h100.yaml"
    gpus = yaml.safe_load(profile.read_text())["deployment"]["gpus"]
    with Load(vllm_url, LOAD_WIDTH) as load:
        load.warm()
        first_text = busy_scrape(metrics)
        time.sleep(4)
        last_text = busy_scrape(metrics)
        live = calibrate_live(metrics, profile, tmp_path)
    assert load.errors == []
    assert "generation-token counter delta over" in live.stdout
    # Saved scrapes: the calibrated figures are exactly the counters' deltas.
    (tmp_path / "a.prom").write_text(first_text)
    (tmp_path / "b.prom").write_text(last_text)
    pipe("cost", "calibrate", "--metrics", str(tmp_path / "a.prom"), "--metrics", str(tmp_path / "b.prom"),
         "--profile", str(profile), "--window", "4", "--out", str(tmp_path / "saved.yaml"), cwd=tmp_path)
    a, b = parse_exposition(first_text, "a"), parse_exposition(last_text, "b")
    delta = {name: b.total(name) - a.total(name) for name in
             ("vllm:generation_tokens", "vllm:prefix_cache_hits", "vllm:prefix_cache_queries")}
    written = yaml.safe_load((tmp_path / "saved.yaml").read_text())
    running = (a.total("vllm:num_requests_running") + b.total("vllm:num_requests_running")) / 2
    assert 0 < running <= LOAD_WIDTH
    assert written["calibration"]["running_requests"] == running
    assert written["calibration"]["output_tokens_per_s_per_gpu"] == round(
        delta["vllm:generation_tokens"] / 4 / gpus, 3)
    assert written["workload"]["prefix_hit_rate"] == round(
        delta["vllm:prefix_cache_hits"] / delta["vllm:prefix_cache_queries"], 4)


def test_pipe_batch_falls_back_to_concurrent_requests(vllm_url, pipe_serve_url, tmp_path):
    lines = [{"custom_id": f"q{i}", "method": "POST", "url": "/v1/chat/completions",
              "body": {"model": "moe-tiny", "messages": messages, "temperature": 0, "max_tokens": 160}}
             for i, messages in enumerate(CONVERSATIONS[:4])]
    requests = tmp_path / "requests.jsonl"
    requests.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert httpx.get(f"{vllm_url}/batches", timeout=10).status_code == 404  # vLLM has no Batch API
    submitted = pipe("batch", "submit", str(requests), "--endpoint", vllm_url, "--now", "--store",
                     str(tmp_path / "s"), cwd=tmp_path)
    job = submitted.stdout.split(":")[0].strip()  # "JOB: completed (4 done, ...)"
    assert "(4 done, 0 failed" in submitted.stdout
    status = json.loads(pipe("batch", "status", job, "--json", "--store", str(tmp_path / "s"), cwd=tmp_path).stdout)
    assert status["api"] == "concurrent"
    pipe("batch", "results", job, "--out", str(tmp_path / "out.jsonl"), "--store", str(tmp_path / "s"), cwd=tmp_path)
    out = {row["custom_id"]: row for row in map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())}
    for i, messages in enumerate(CONVERSATIONS[:4]):
        body = out[f"q{i}"]["response"]["body"]
        expected = chat(pipe_serve_url, messages)["choices"][0]["message"]["content"]
        assert body["choices"][0]["message"]["content"] == expected
