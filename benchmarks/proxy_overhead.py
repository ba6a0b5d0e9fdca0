"""Latency a request pays for going through `pipe serve --recipe` instead of a direct run.

The same recipe (recipes/rsa_math.yaml), params and seed on the same question, run two ways:
  direct  `pipelines.run` on a one-item inline dataset, in this process;
  proxy   one chat request with the openai client to `pipe serve --recipe` (a subprocess).
Each side has a fresh run store (no response-cache hits) and one untimed warm-up request.
Two upstreams: the embedded model (the overhead next to real work), and a zero-latency
OpenAI-compatible fake (the overhead alone). Answers must match between the two ways.
Printed: median latencies, their ratio and difference, and the proxy's own time outside the
run (client latency minus the server's `pipe.elapsed_s`), which machine noise does not hide.

Run: python benchmarks/proxy_overhead.py [--questions 5] [--N 4 --K 2 --T 2 --max-tokens 48]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import openai
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import pipelines  # noqa: E402
from benchmarks._sim import zero_latency_app  # noqa: E402
from pipelines.proxy.runner import item_id  # noqa: E402

RECIPE = ROOT / "recipes" / "rsa_math.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fake() -> str:
    """The zero-latency fake on a real port, in a thread of this process."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(zero_latency_app(), host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}/v1"


def start_proxy(upstream: str, store: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "serve", "--recipe", str(RECIPE), "--upstream",
         upstream, "--port", str(port), "--store", str(store)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/models").raise_for_status()
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the proxy did not start")


def direct(question: str, params: dict, upstream: str, store: Path) -> tuple[float, str]:
    began = time.perf_counter()
    result = pipelines.run(RECIPE, params, pipelines.RunOptions(
        endpoint=upstream, store=store, dataset={"source": "inline", "items": [
            {"id": item_id(question), "question": question, "answer": None}]}))
    took = time.perf_counter() - began
    assert result.status == "ok", result.items
    return took, result.items[0]["outputs"]["answer"]


def proxied(client: openai.OpenAI, question: str, params: dict) -> tuple[float, str, float]:
    """(latency seen by the client, answer, of which outside the run: HTTP, request mapping,
    thread hand-off, response shaping; measured against the server's `pipe.elapsed_s`)."""
    began = time.perf_counter()
    done = client.chat.completions.create(
        model="rsa_math", messages=[{"role": "user", "content": question}], extra_body=params)
    took = time.perf_counter() - began
    pipe = done.model_extra["pipe"]
    return took, pipe["answer"], took - pipe["elapsed_s"]


def measure(upstream: str, label: str, questions: list[str], params: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_proxy(upstream, Path(tmp) / "proxy")
        try:
            client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0, timeout=600)
            direct("What is 1+1?", params, upstream, Path(tmp) / "direct")  # warm-up
            proxied(client, "What is 1+1?", params)
            runs = [(direct(q, params, upstream, Path(tmp) / "direct"),
                     proxied(client, q, params)) for q in questions]
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    same = sum(d[1] == p[1] for d, p in runs)
    d_med = statistics.median(d[0] for d, _ in runs)
    p_med = statistics.median(p[0] for _, p in runs)
    outside = statistics.median(p[2] for _, p in runs)
    print(f"{label}: direct {d_med * 1000:.1f} ms, proxy {p_med * 1000:.1f} ms, "
          f"ratio {p_med / d_med:.2f}x, difference {(p_med - d_med) * 1000:+.1f} ms;\n"
          f"  proxy time outside the run {outside * 1000:.1f} ms "
          f"({outside / d_med:.1%} of a direct run); same answer {same}/{len(runs)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=int, default=5)
    ap.add_argument("--N", type=int, default=4)
    ap.add_argument("--K", type=int, default=2)
    ap.add_argument("--T", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=48)
    args = ap.parse_args()
    params = {"N": args.N, "K": args.K, "T": args.T, "max_tokens": args.max_tokens, "seed": 7}
    questions = [f"What is {10 + i}+{3 * i + 4}?" for i in range(args.questions)]
    print(f"rsa_math N={args.N} K={args.K} T={args.T} max_tokens={args.max_tokens}, "
          f"{args.questions} questions, medians per request")
    measure(start_fake(), "zero-latency upstream", questions, params)
    measure("embedded", "embedded model", questions, params)


if __name__ == "__main__":
    main()
