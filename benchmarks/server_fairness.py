"""Fair admission on the embedded server: a normal chat call while one call holds 20,000 prompts.

    python benchmarks/server_fairness.py [--prompts 20000] [--samples 5] [--max-tokens 32]

Serves the shipped `moe-tiny` weights in-process, as `pipe run` does with the `embedded`
endpoint (`moe.server.create_app` under `httpx.ASGITransport`), and prints the latency of a
normal chat completion (greedy, --max-tokens tokens, `ignore_eos` so every sample generates
the same length) first on the idle server (the baseline), then while one /v1/completions
call with --prompts prompts (16 tokens each) is queued and running, and the ratio of the two.
Target (issue 14): at most 2 s while the big call runs. Admitting first come, first served,
as the engine did before `moe.engine.waiting`, the same call waited 58 s (issue 14) / 68 s
(this script with every prompt its own group). While the big call runs, the chat call decodes
in a batch of 64, so its time is ~max_tokens x the step time at batch 64: it grows with the
machine's load (the load average is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from moe.server import ServerLimits, create_app  # noqa: E402

CHAT = {"model": "moe-tiny", "temperature": 0, "ignore_eos": True,
        "messages": [{"role": "user", "content": "What is 17 + 25? Answer in one line."}]}


async def timed_chat(http: httpx.AsyncClient, max_tokens: int) -> float:
    # Not streamed: httpx's ASGI transport hands over a response only once it is complete.
    start = time.perf_counter()
    response = await http.post("/v1/chat/completions", json={**CHAT, "max_tokens": max_tokens})
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.text
    assert response.json()["usage"]["completion_tokens"] == max_tokens
    return elapsed


async def wait_until_busy(engine, big: asyncio.Task, timeout: float = 60.0) -> float:
    """Seconds until the big call's prompts are queued and some run (fails if it ended)."""
    start = time.perf_counter()
    while not (engine.num_running and engine.num_waiting > 1000):
        assert not big.done(), f"the big call ended early: {big.result().text[:300]}"
        assert time.perf_counter() - start < timeout, "the big call never started"
        await asyncio.sleep(0.01)
    return time.perf_counter() - start


async def measure(prompts: int, samples: int, max_tokens: int) -> None:
    app = create_app(limits=ServerLimits(max_prompts=max(prompts, 1), max_choices=max(prompts, 1)))
    engine = app.state.service.engine.engine
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://moe",
                                 timeout=600) as http:
        await timed_chat(http, max_tokens)  # warm-up: loads the weights, starts the engine
        idle = [await timed_chat(http, max_tokens) for _ in range(samples)]
        texts = [f"Compute {i} + {i * 7 % 13} =" for i in range(prompts)]
        big = asyncio.create_task(http.post("/v1/completions", json={
            "model": "moe-tiny", "prompt": texts, "max_tokens": 16, "temperature": 0}))
        queued_s = await wait_until_busy(engine, big)
        busy = []
        for _ in range(samples):
            busy.append(await timed_chat(http, max_tokens))
            waiting = engine.num_waiting
        big.cancel()
        await asyncio.gather(big, return_exceptions=True)
        await app.state.service.engine.stop()
    print(f"normal chat call ({max_tokens} tokens), {samples} samples each, seconds "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    print(f"  {'':34} {'median':>8} {'max':>8}")
    for label, runs in (("idle server (baseline)", idle), (f"beside a {prompts:,}-prompt call", busy)):
        print(f"  {label:34} {statistics.median(runs):8.3f} {max(runs):8.3f}")
    print(f"  ratio busy/idle (median): {statistics.median(busy) / statistics.median(idle):.1f}x;"
          f" target: max <= 2 s -> {'met' if max(busy) <= 2.0 else 'NOT met'}")
    print(f"  the big call: queued and running after {queued_s:.2f} s; "
          f"{waiting:,} of its prompts still waiting after the last sample")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=32)
    args = parser.parse_args()
    asyncio.run(measure(args.prompts, args.samples, args.max_tokens))


if __name__ == "__main__":
    main()
