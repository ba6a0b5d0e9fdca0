"""`pipe serve` against vLLM (CPU build) on the same weights, side by side in one run.

    python benchmarks/engines.py [--vllm-url URL] [--pipe-url URL] [--size 4]

Starts both servers (unless given URLs): `pipe serve` and scripts/vllm-serve.sh (the export of
moe/weights from `python -m moe.export`, fp32, MLA disabled, block size 32). Both are driven
over HTTP by the same client, measurement by measurement, alternating engines, so background
load hits both alike. Prints one table:
- aggregate decode tok/s at batch 1, 8, 32, 64: B requests at once, 128 output tokens each
  (ignore_eos, ~31-token prompts), all output tokens over the time to the last answer (prefill
  included, ~1/4 of the tokens of one decode step); best of 3 rounds, the engines alternating;
  and the same per CPU-second of the server's process tree (other load on the machine changes
  wall figures, not this one);
- time to first token: median of 5 single requests with fresh prompts (no prefix-cache hit);
- an RSA run (`pipe run recipes/rsa_math.yaml`, N=8 K=4 T=3, --size problems, --no-cache):
  wall time, and the prefix-cache hit share (cached / prompt tokens in pipe's run store);
- resident memory of the server's process tree: peak (VmHWM) summed over its processes;
- start-up time to /health.
Ratio = pipe serve / vLLM, oriented so that > 1 means pipe serve is better.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moe.data import arith_items, solve_prompt  # noqa: E402

PIPE = Path(sys.executable).with_name("pipe")
BATCHES = (1, 8, 32, 64)
DECODE_TOKENS = 128
REPEATS = 3
"""Decode figures are the best of this many rounds (other processes share the CPUs)."""


@dataclass
class Engine:
    name: str
    url: str
    proc: subprocess.Popen | None = None
    startup_s: float | None = None
    figures: dict[str, float] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name: str, cmd: list[str], port: int, log: Path) -> Engine:
    began = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    while time.monotonic() - began < 900:
        if proc.poll() is not None:
            sys.exit(f"{name} exited with {proc.returncode}; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return Engine(name, f"http://127.0.0.1:{port}/v1", proc, time.monotonic() - began)
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGTERM)
    sys.exit(f"{name} did not answer /health in 900 s; see {log}")


def stop(engine: Engine) -> None:
    if engine.proc and engine.proc.poll() is None:
        os.killpg(engine.proc.pid, signal.SIGTERM)
        engine.proc.wait(timeout=60)


def tree_peak_rss_mb(pid: int) -> float:
    """Sum of VmHWM over `pid` and its descendants (from /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            continue
    return total / 1024


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of `pid` and its live descendants (from /proc)."""
    total, todo, tick = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


async def stream_one(client: httpx.AsyncClient, url: str, prompt: str, max_tokens: int) -> tuple[float, float, int]:
    """(first-token time, last-token time, completion tokens) of one streamed request."""
    body = {"model": "moe-tiny", "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens,
            "temperature": 0, "ignore_eos": True, "stream": True, "stream_options": {"include_usage": True}}
    first = last = None
    tokens = 0
    async with client.stream("POST", f"{url}/chat/completions", json=body) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
            if any(c.get("delta", {}).get("content") for c in chunk.get("choices", [])):
                last = time.perf_counter()
                first = first or last
    return first, last, tokens


async def complete_one(client: httpx.AsyncClient, url: str, prompt: str, max_tokens: int) -> int:
    body = {"model": "moe-tiny", "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens,
            "temperature": 0, "ignore_eos": True}
    response = await client.post(f"{url}/chat/completions", json=body)
    response.raise_for_status()
    return response.json()["usage"]["completion_tokens"]


async def decode_tps(url: str, batch: int, prompts: list[str]) -> float:
    """Output tokens per second of `batch` requests sent at once, start to last answer.

    Not from streamed chunk times: vLLM may flush several tokens in one chunk."""
    async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_connections=batch + 4)) as client:
        began = time.perf_counter()
        tokens = await asyncio.gather(*(complete_one(client, url, prompts[i % len(prompts)], DECODE_TOKENS)
                                        for i in range(batch)))
        return sum(tokens) / (time.perf_counter() - began)


async def ttft_s(url: str, prompts: list[str]) -> float:
    async with httpx.AsyncClient(timeout=600) as client:
        times = []
        for prompt in prompts:
            began = time.perf_counter()
            first, _, _ = await stream_one(client, url, prompt, 4)
            times.append(first - began)
    return statistics.median(times)


def rsa_run(url: str, size: int, store: Path) -> tuple[float, float, float | None]:
    """(wall s, prefix-cache hit share, accuracy) of one RSA run through pipe."""
    params = ["-p", f"size={size}", "-p", "N=8", "-p", "K=4", "-p", "T=3"]
    began = time.monotonic()
    done = subprocess.run([str(PIPE), "run", str(ROOT / "recipes/rsa_math.yaml"), "--endpoint", url, *params,
                           "--no-cache", "--json", "--store", str(store)], capture_output=True, text=True)
    wall = time.monotonic() - began
    if done.returncode != 0:
        sys.exit(f"pipe run against {url} failed:\n{done.stderr[-2000:]}")
    run = json.loads(done.stdout)
    show = json.loads(subprocess.run([str(PIPE), "show", run["run_id"], "--store", str(store), "--json"],
                                     capture_output=True, text=True, check=True).stdout)
    cached = sum(n["cached_tokens"] for n in show["nodes"])
    prompt = sum(n["prompt_tokens"] for n in show["nodes"])
    return wall, cached / prompt, (run["accuracy"] or {}).get("accuracy")


def best(engine: Engine, key: str, value: float) -> None:
    engine.figures[key] = max(value, engine.figures.get(key, 0.0))


def measure(engines: list[Engine], size: int, work: Path) -> None:
    questions = [item["question"] for item in arith_items(64 + 5 * len(engines), seed=99)]
    prompts = [solve_prompt(q) for q in questions[:64]]
    for engine in engines:  # warm-up: first requests pay for lazy initialisation
        asyncio.run(decode_tps(engine.url, 2, prompts))
    for batch in BATCHES:
        for _ in range(REPEATS):
            for engine in engines:
                cpu = tree_cpu_s(engine.proc.pid) if engine.proc else None
                began = time.perf_counter()
                tps = asyncio.run(decode_tps(engine.url, batch, prompts))
                best(engine, f"decode tok/s, batch {batch}", tps)
                if cpu is not None:  # per CPU-second of the server: robust to other load
                    spent = tree_cpu_s(engine.proc.pid) - cpu
                    best(engine, f"decode tok/CPU-s, batch {batch}", tps * (time.perf_counter() - began) / spent)
    for i, engine in enumerate(engines):
        fresh = [f"{solve_prompt(q)} [{engine.name}]" for q in questions[64 + 5 * i: 64 + 5 * (i + 1)]]
        engine.figures["TTFT ms (batch 1)"] = 1000 * asyncio.run(ttft_s(engine.url, fresh))
    for engine in engines:
        wall, hit, acc = rsa_run(engine.url, size, work / engine.name.replace(" ", "-"))
        engine.figures[f"RSA run wall s (size {size}, N8 K4 T3)"] = wall
        engine.figures["RSA prefix-cache hit share"] = hit
        engine.figures["RSA accuracy"] = acc if acc is not None else float("nan")
    for engine in engines:
        if engine.proc:
            engine.figures["peak RSS MB (process tree)"] = tree_peak_rss_mb(engine.proc.pid)
        if engine.startup_s is not None:
            engine.figures["start-up s"] = engine.startup_s


LOWER_IS_BETTER = ("TTFT", "wall", "RSS", "start-up")


def table(ours: Engine, theirs: Engine) -> str:
    rows = [f"{'figure':40} {ours.name:>12} {theirs.name:>12} {'ratio':>8}"]
    for name, value in ours.figures.items():
        other = theirs.figures.get(name)
        if other is None:
            continue
        lower = any(word in name for word in LOWER_IS_BETTER)
        ratio = (other / value if lower else value / other) if value and other else float("nan")
        if "accuracy" in name or "share" in name:
            ratio = value / other if other else float("nan")
        rows.append(f"{name:40} {value:12.3f} {other:12.3f} {ratio:8.2f}")
    rows.append("ratio = pipe serve / vLLM, inverted for lower-is-better figures: > 1 means pipe serve is better")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vllm-url", help="a running scripts/vllm-serve.sh (…/v1); default: start one")
    parser.add_argument("--pipe-url", help="a running `pipe serve` (…/v1); default: start one")
    parser.add_argument("--size", type=int, default=4, help="problems in the RSA run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="engines-"))
    engines: list[Engine] = []
    try:
        for name, url, cmd in (("pipe serve", args.pipe_url, [str(PIPE), "serve", "--port"]),
                               ("vLLM", args.vllm_url, [str(ROOT / "scripts/vllm-serve.sh"), "--port"])):
            if url:
                engines.append(Engine(name, url.rstrip("/")))
            else:
                port = free_port()
                engines.append(start(name, cmd + [str(port)], port, work / f"{name.split()[0]}.log"))
            print(f"{name}: {engines[-1].url}", flush=True)
        measure(engines, args.size, work)
    finally:
        for engine in engines:
            stop(engine)
    print(f"\nengines on {os.cpu_count()} CPUs, moe-tiny fp32, same weights; decode {DECODE_TOKENS} tokens "
          f"per request\n")
    print(table(engines[0], engines[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
