"""Does pipe's cost per call stay flat as runs grow? (issue #21)

The RSA-shaped recipe of `runner_overhead.py` (N=4 K=2 T=2: 8 calls per item) on the
zero-latency in-process endpoint, at several item counts, next to a bare asyncio + openai loop
making the same number of calls on the same endpoint at the same concurrency. Each measurement
runs in its own subprocess, so its peak RSS and CPU seconds are its own.

Prints per size: calls/s for both, the pipe/bare ratio, peak RSS and CPU ms per call.
Goal: the ratio does not fall as the run grows, and RSS stays flat.

Run:  python benchmarks/scaling.py                     # 100, 1000, 5000 items
      python benchmarks/scaling.py --sizes 1000 100000  # any sizes
      python benchmarks/scaling.py --profile 5000       # cProfile of one pipe run, top 30
      python benchmarks/scaling.py --rss 100000 60      # peak RSS of a run stopped after 60 s
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import openai

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._sim import zero_latency_app  # noqa: E402
from benchmarks.runner_overhead import write_recipe as rsa_recipe  # noqa: E402
import pipelines  # noqa: E402
from pipelines import RunOptions  # noqa: E402

CONCURRENCY = 64
N, K, T = 4, 2, 2
CALLS_PER_ITEM = N * T


def write_recipe(folder: Path, items: int) -> Path:
    """The runner_overhead recipe, its dataset in a JSONL file (inline YAML grows slow)."""
    with open(folder / "items.jsonl", "w") as f:
        for j in range(items):
            f.write(json.dumps({"id": f"i{j}", "question": f"q{j}", "answer": "1"}) + "\n")
    return rsa_recipe(folder, [], n=N, k=K, t=T, dataset={"source": "items.jsonl"})


async def bare_loop(calls: int) -> None:
    """The same number of calls through one AsyncOpenAI client, CONCURRENCY at a time."""
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=zero_latency_app()),
                             limits=httpx.Limits(max_connections=CONCURRENCY))
    client = openai.AsyncOpenAI(base_url="http://sim/v1", api_key="x", max_retries=0,
                                http_client=http)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(j: int) -> None:
        async with gate:
            await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": f"Solve q{j // N} #{j}"}])

    await asyncio.gather(*(one(j) for j in range(calls)))
    await client.close()


def pipe_run(items: int) -> int:
    with tempfile.TemporaryDirectory() as d:
        recipe = write_recipe(Path(d), items)
        options = RunOptions(endpoint="http://sim/v1", store=Path(d) / "store", cache=False,
                             transport=httpx.ASGITransport(app=zero_latency_app()),
                             concurrency=CONCURRENCY)
        result = pipelines.run(recipe, options=options)
        assert result.exit_code == 0, result.status
        return result.stats.calls


def measure_one(kind: str, items: int) -> dict:
    """Runs in a child process: wall, CPU and peak RSS of one pipe run or one bare loop."""
    cpu0, start = time.process_time(), time.perf_counter()
    if kind == "pipe":
        calls = pipe_run(items)
    else:
        calls = items * CALLS_PER_ITEM
        asyncio.run(bare_loop(calls))
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"kind": kind, "items": items, "calls": calls, "wall_s": wall, "cpu_s": cpu,
            "rss_mb": rss_mb}


def child(kind: str, items: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(items)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(sizes: list[int]) -> None:
    print(f"RSA N={N} K={K} T={T}, zero-latency in-process endpoint, concurrency {CONCURRENCY}")
    print(f"{'items':>7} {'calls':>8} | {'pipe c/s':>8} {'bare c/s':>8} {'ratio':>5} | "
          f"{'pipe RSS':>8} {'bare RSS':>8} | {'pipe CPU ms/call':>15} {'bare':>5}")
    for items in sizes:
        bare, piped = child("bare", items), child("pipe", items)
        assert piped["calls"] == bare["calls"], (piped, bare)
        calls = piped["calls"]
        p_rate, b_rate = calls / piped["wall_s"], calls / bare["wall_s"]
        print(f"{items:>7} {calls:>8} | {p_rate:>8.0f} {b_rate:>8.0f} {p_rate / b_rate:>5.2f} | "
              f"{piped['rss_mb']:>6.0f}MB {bare['rss_mb']:>6.0f}MB | "
              f"{1000 * piped['cpu_s'] / calls:>15.2f} {1000 * bare['cpu_s'] / calls:>5.2f}",
              flush=True)


def rss_of_short_run(items: int, seconds: float) -> None:
    """Peak RSS (VmHWM) of a pipe run over `items` items, stopped after `seconds`: what a run
    holds once it is going (dataset, plan, items in flight), without waiting for its end."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", "pipe", str(items)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(seconds)
    status = Path(f"/proc/{proc.pid}/status").read_text()
    proc.kill()
    proc.wait()
    peak = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
    print(f"{items} items, stopped after {seconds:g} s: peak RSS {int(peak) / 1024:.0f} MB")


def profile(items: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    pipe_run(items)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    ap.add_argument("--profile", type=int, metavar="ITEMS")
    ap.add_argument("--rss", nargs=2, type=float, metavar=("ITEMS", "SECONDS"))
    ap.add_argument("--child", nargs=2, metavar=("KIND", "ITEMS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure_one(args.child[0], int(args.child[1]))))
    elif args.rss:
        rss_of_short_run(int(args.rss[0]), args.rss[1])
    elif args.profile:
        profile(args.profile)
    else:
        table(args.sizes)


if __name__ == "__main__":
    main()
