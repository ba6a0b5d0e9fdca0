"""Bulk throughput of `pipe batch` against the embedded MoE server.

The same requests (same prompt length, max_tokens and seeds) are run three ways against one
server process on a local port:
1. one at a time, each awaited before the next is sent (a plain openai loop);
2. `pipe batch` on the concurrent path (--concurrency C): the engine batches them;
3. `pipe batch` through the server's own Batch API (/v1/files + /v1/batches).
Prints requests/s and output tokens/s of each and their ratios to one at a time. A tag at the
start of each prompt differs per run, so the server's prefix cache favours no run.

Uses the shipped weights (moe/weights) unless they are absent or --random is given; then an
untrained model of the same shape stands in (speed is the same; text is not).

Run: python benchmarks/batch_throughput.py [--requests 200] [--max-tokens 64] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import openai

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.batch import jobs  # noqa: E402
from pipelines import RunOptions  # noqa: E402

MODEL = "moe-tiny"
QUESTION = "Compute {a}+{b}*{c}-{d}. Think step by step and give the answer in a box."


def serve(port: int, random: bool) -> None:
    """The server process: the embedded app on 127.0.0.1:port."""
    import uvicorn

    from moe.checkpoint import DEFAULT_WEIGHTS_DIR
    from moe.config import ModelConfig
    from moe.inference import MoEModel
    from moe.server import create_app

    shipped = (DEFAULT_WEIGHTS_DIR / "model.safetensors").is_file() and not random
    model = MoEModel.load() if shipped else MoEModel.random(ModelConfig(), seed=0)
    print("weights:", "shipped" if shipped else "random, shipped shape", flush=True)
    uvicorn.run(create_app(model), host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(random: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    args = [sys.executable, __file__, "--serve", str(port)] + (["--random"] if random else [])
    proc = subprocess.Popen(args, cwd=ROOT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc, f"http://127.0.0.1:{port}/v1"
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def bodies(tag: str, n: int, max_tokens: int) -> list[dict]:
    return [{"model": MODEL, "max_tokens": max_tokens, "temperature": 1.0, "seed": i,
             "messages": [{"role": "user", "content": f"[{tag}] " + QUESTION.format(
                 a=i, b=i + 3, c=i % 7 + 2, d=i % 5)}]} for i in range(n)]


async def one_at_a_time(url: str, requests: list[dict]) -> tuple[float, int]:
    client = openai.AsyncOpenAI(base_url=url, api_key="x", max_retries=0)
    tokens, start = 0, time.perf_counter()
    for body in requests:
        reply = await client.chat.completions.create(**body)
        tokens += reply.usage.completion_tokens
    elapsed = time.perf_counter() - start
    await client.close()
    return elapsed, tokens


def pipe_batch(url: str, requests: list[dict], kind: str, concurrency: int,
               folder: Path) -> tuple[float, int]:
    source = folder / f"{kind}.jsonl"
    source.write_text("".join(json.dumps({"custom_id": f"r{i}", "method": "POST",
                                          "url": "/v1/chat/completions", "body": b}) + "\n"
                              for i, b in enumerate(requests)))
    start = time.perf_counter()
    done = jobs.submit(source,
                       options=RunOptions(poll_s=0.05, store=folder / kind, endpoint=url,
                                          concurrency=concurrency), api=kind, now=True)
    elapsed = time.perf_counter() - start
    assert done.outcome.state == "completed", done.outcome
    report = jobs.results(done.job_id, folder / f"{kind}.out.jsonl", store=folder / kind)
    return elapsed, report["report"]["total"]["completion_tokens"]


def row(name: str, n: int, elapsed: float, tokens: int, base: tuple[float, int] | None) -> str:
    rps, tps = n / elapsed, tokens / elapsed
    base_rps, base_tps = (n / base[0], base[1] / base[0]) if base else (rps, tps)
    return (f"{name:<32} {n:>8} {elapsed:>8.2f} {rps:>8.2f} {tps:>9.1f} {rps / base_rps:>7.2f}x "
            f"{tps / base_tps:>7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--random", action="store_true", help="untrained weights")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.random)
        return
    proc, url = start_server(args.random)
    try:
        n = args.requests
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            seq = asyncio.run(one_at_a_time(url, bodies("seq", n, args.max_tokens)))
            conc = pipe_batch(url, bodies("conc", n, args.max_tokens), "concurrent",
                              args.concurrency, folder)
            bapi = pipe_batch(url, bodies("bapi", n, args.max_tokens), "batch",
                              args.concurrency, folder)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"\n{n} requests, max_tokens {args.max_tokens}, concurrency {args.concurrency}")
    print(f"{'mode':<32} {'requests':>8} {'seconds':>8} {'req/s':>8} {'out tok/s':>9} "
          f"{'req/s vs':>8} {'tok/s vs':>8}")
    print(row("one at a time", n, *seq, None))
    print(row(f"pipe batch, concurrent ({args.concurrency})", n, *conc, seq))
    print(row("pipe batch, server Batch API", n, *bapi, seq))

if __name__ == "__main__":
    main()
