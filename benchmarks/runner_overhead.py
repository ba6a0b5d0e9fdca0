"""Engine overhead and scheduling efficiency.

1. Against a zero-latency in-process endpoint: calls/s through `pipe` (validation, templates,
   run store, cache keys, metering) vs a bare asyncio + openai loop issuing the same calls.
   Target: ratio >= 0.8.
2. Against a simulated server with B slots and a per-token latency, an RSA-shaped recipe over
   20 items of uneven length: slot occupancy (target >= 0.95) and wall time vs the same calls
   run with a barrier after every step (target <= 0.7x).

Run: python benchmarks/runner_overhead.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx
import openai
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._sim import SlotServer, zero_latency_app  # noqa: E402
import pipelines
from pipelines import RunOptions  # noqa: E402

CONCURRENCY = 16


def write_recipe(folder: Path, items: list[dict], n: int, k: int, t: int,
                 dataset: dict | None = None) -> Path:
    """The RSA-shaped recipe in `folder`; its dataset `items` inline unless `dataset` is given."""
    (folder / "solve.j2").write_text("Solve {{ question }}")
    (folder / "agg.j2").write_text("Improve {{ question }}:{% for c in cands %} [{{ c }}]{% endfor %}")
    recipe = {
        "name": "bench",
        "dataset": dataset or {"source": "inline", "items": [{**i, "answer": "1"} for i in items]},
        "nodes": {
            "solve": {"kind": "llm", "prompt": "solve.j2", "vars": {"question": "${item.question}"},
                      "n": n},
            "steps": {"kind": "repeat", "times": t - 1, "init": "${solve.output}", "output": "agg",
                      "body": {
                          "groups": {"kind": "groups", "from": "${prev}", "count": n, "size": k},
                          "agg": {"kind": "llm", "map": "${groups.output}", "prompt": "agg.j2",
                                  "vars": {"question": "${item.question}", "cands": "${each}"}}}},
            "vote": {"kind": "vote", "from": "${steps.output}", "extract": "none",
                     "equivalence": "exact"}}}
    (folder / "r.yaml").write_text(yaml.safe_dump(recipe, sort_keys=False))
    return folder / "r.yaml"


def client_for(app) -> openai.AsyncOpenAI:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                             limits=httpx.Limits(max_connections=CONCURRENCY))
    return openai.AsyncOpenAI(base_url="http://sim/v1", api_key="x", max_retries=0, http_client=http)


async def bare_loop(app, prompts: list[str]) -> float:
    client, gate = client_for(app), asyncio.Semaphore(CONCURRENCY)

    async def one(p: str) -> None:
        async with gate:
            await client.chat.completions.create(model="m", messages=[{"role": "user", "content": p}])

    start = time.perf_counter()
    await asyncio.gather(*(one(p) for p in prompts))
    return time.perf_counter() - start


def overhead(tmp: Path) -> None:
    items = [{"id": f"i{j}", "question": f"q{j}"} for j in range(200)]
    recipe = write_recipe(tmp, items, n=5, k=2, t=1)
    calls = len(items) * 5
    app = zero_latency_app()
    prompts = [f"Solve q{j} #{s}" for j in range(200) for s in range(5)]
    bare, piped = float("inf"), float("inf")
    for attempt in range(3):  # interleaved best-of-3: the machine's other load hits both alike
        bare = min(bare, asyncio.run(bare_loop(app, prompts)))
        start = time.perf_counter()
        options = RunOptions(endpoint="http://sim/v1", store=tmp / f"store{attempt}", cache=False,
                             transport=httpx.ASGITransport(app=app), concurrency=CONCURRENCY)
        result = pipelines.run(recipe, options=options)
        piped = min(piped, time.perf_counter() - start)
    assert result.exit_code == 0 and result.stats.calls == calls
    print(f"[overhead] {calls} calls, zero-latency endpoint, concurrency {CONCURRENCY}")
    print(f"  bare asyncio+openai : {calls / bare:8.0f} calls/s")
    print(f"  pipe run            : {calls / piped:8.0f} calls/s (incl. validation, store, metering)")
    print(f"  ratio pipe/bare     : {bare / piped:8.2f}   (target >= 0.8)")


async def barrier_run(server: SlotServer, items: list[dict], n: int, k: int, t: int) -> float:
    """The same RSA calls, but every step waits for all items (the naive loop)."""
    import random
    client, gate = client_for(server.app), asyncio.Semaphore(CONCURRENCY)

    async def call(p: str) -> str:
        async with gate:
            r = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": p}])
        return r.choices[0].message.content

    start = time.perf_counter()
    pops = await asyncio.gather(*(asyncio.gather(*(call(f"Solve {i['question']}") for _ in range(n)))
                                  for i in items))
    for _ in range(t - 1):
        rng = random.Random(0)
        pops = await asyncio.gather(*(asyncio.gather(*(
            call(f"Improve {i['question']}: " + " ".join(rng.sample(list(pop), k))) for _ in range(n)))
            for i, pop in zip(items, pops)))
    return time.perf_counter() - start


def scheduling(tmp: Path, slots: int = 8, per_token: float = 0.0005) -> None:
    lengths = [20 + (j * 53) % 181 for j in range(20)]  # uneven: 20..200 tokens
    items = [{"id": f"i{j}", "question": f"len={n}"} for j, n in enumerate(lengths)]
    n, k, t = 8, 4, 4
    recipe = write_recipe(tmp, items, n=n, k=k, t=t)
    server = SlotServer(slots, per_token)
    start = time.perf_counter()
    options = RunOptions(endpoint="http://sim/v1", store=tmp / "store2", cache=False,
                         transport=httpx.ASGITransport(app=server.app), concurrency=CONCURRENCY)
    result = pipelines.run(recipe, options=options)
    wall = time.perf_counter() - start
    assert result.exit_code == 0
    occupancy = server.occupancy(server.last - server.first)  # while the run had calls out
    barrier = asyncio.run(barrier_run(SlotServer(slots, per_token), items, n, k, t))
    print(f"[scheduling] RSA N={n} K={k} T={t}, 20 items of 20..200 tokens, {slots} slots, "
          f"{per_token * 1000:.1f} ms/token")
    print(f"  pipe wall            : {wall:6.2f} s, slot occupancy {occupancy:.3f} (target >= 0.95)")
    print(f"  barrier-per-step wall: {barrier:6.2f} s")
    print(f"  ratio pipe/barrier   : {wall / barrier:6.2f}   (target <= 0.7)")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as d:
        overhead(Path(d))
    with tempfile.TemporaryDirectory() as d:
        scheduling(Path(d))
