"""Does pipe's cost per call stay flat as runs grow, in bounded memory? (issue #21)

1. Runs: the RSA-shaped recipe of `runner_overhead.py` (N=4 K=2 T=2: 8 calls per item) on the
   zero-latency in-process endpoint, for 1k, 10k and 100k calls (1M with --million), each next
   to a bare asyncio + openai loop making the same number of calls on the same endpoint at the
   same concurrency (CONCURRENCY workers, so the loop's own memory stays flat too). Each
   measurement runs in its own subprocess: its peak RSS and CPU seconds are its own.
   Robust to a shared machine: --rounds R repeats every size R times, sizes interleaved (each
   round goes through all of them, alternately up and down, pipe and bare alternately first),
   and each pipe run is paired with the bare loop measured next to it. The table shows the
   median over rounds of each rate and of the paired ratio, with the ratio's range; load that
   comes and goes hits both sides of a pair, and a round it spoiled is outvoted. CPU ms per
   call (process time) and its bare/pipe ratio are a cross-check; on shared cores they move
   with load too (caches, sibling threads), if less than wall time. On a host whose speed
   drifts over minutes (a shared VM: the same bare loop measured 616 and 1,254 calls/s an
   hour apart), --together runs each pair at the same time, one per core, so drift hits both.
   Goals: pipe/bare >= 0.9 at every size, at most 10% spread of the ratio between sizes, peak
   RSS flat within 20% from 10k calls up; each printed with PASS or MISS.
2. Batch: `pipe batch submit` of a 10k- and 100k-line OpenAI Batch JSONL (1M with --million):
   submit time, store size and peak RSS; then the job run on the same endpoint (requests/s,
   peak RSS) and its results written (seconds, peak RSS), each phase in its own subprocess.
   Goal: the run's peak RSS flat within 20% from 10k lines up (PASS or MISS).

Run:  python benchmarks/scaling.py                  # runs (3 rounds) + batch, ~35 min quiet
      python benchmarks/scaling.py --rounds 1       # one pass, about 15 minutes
      python benchmarks/scaling.py --million --rounds 1   # adds 1M calls (~1.5 h) and a
                                                          # 1M-line batch (~50 min)
      python benchmarks/scaling.py --calls --batch-lines --first-calls 100000
          # a run over a 1M-item dataset stopped after 100k calls: start, rate, peak RSS
      python benchmarks/scaling.py --calls 1000 10000 --batch-lines   # runs only
      python benchmarks/scaling.py --together ...     # pipe and bare at once, one per core
      python benchmarks/scaling.py --calls --batch-lines 1000000 --submit-only
      python benchmarks/scaling.py --profile 10000    # cProfile of one pipe run: pipe's frames
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import itertools
import json
import os
import statistics
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
from pipelines.batch import jobs  # noqa: E402

CONCURRENCY = 64
N, K, T = 4, 2, 2
CALLS_PER_ITEM = N * T
CALLS = [1_000, 10_000, 100_000]
BATCH_LINES = [10_000, 100_000]
MILLION = 1_000_000


def write_recipe(folder: Path, items: int) -> Path:
    """The runner_overhead recipe, its dataset in a JSONL file (inline YAML grows slow)."""
    with open(folder / "items.jsonl", "w") as f:
        for j in range(items):
            f.write(json.dumps({"id": f"i{j}", "question": f"q{j}", "answer": "1"}) + "\n")
    return rsa_recipe(folder, [], n=N, k=K, t=T, dataset={"source": "items.jsonl"})


def _client() -> openai.AsyncOpenAI:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=zero_latency_app()),
                             limits=httpx.Limits(max_connections=CONCURRENCY))
    return openai.AsyncOpenAI(base_url="http://sim/v1", api_key="x", max_retries=0,
                              http_client=http)


async def bare_loop(calls: int) -> None:
    """The same number of calls through one AsyncOpenAI client: CONCURRENCY workers taking
    the next call number until none is left."""
    client, numbers = _client(), iter(range(calls))

    async def worker() -> None:
        for j in numbers:
            await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": f"Solve q{j // N} #{j}"}])

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    await client.close()


def pipe_run(items: int, folder: Path) -> int:
    recipe = write_recipe(folder, items)
    options = RunOptions(endpoint="http://sim/v1", store=folder / "store", cache=False,
                         transport=httpx.ASGITransport(app=zero_latency_app()),
                         concurrency=CONCURRENCY)
    started = time.perf_counter()
    result = pipelines.run(recipe, options=options)
    assert result.exit_code == 0, result.status
    return result.stats.calls, time.perf_counter() - started


def measure_run(kind: str, calls: int) -> dict:
    """In a child process: wall, CPU and peak RSS of one pipe run or one bare loop, after a
    warm-up of one item's calls the same way (imports, first connection, lazy set-up: a cost
    per process, not per call, timed apart as `startup_s`); writing the dataset is not timed."""
    with tempfile.TemporaryDirectory() as d:
        warm, timed = Path(d) / "warm", Path(d) / "timed"
        warm.mkdir(), timed.mkdir()
        startup = _timed(kind, CALLS_PER_ITEM, warm)[1]
        cpu0 = time.process_time()
        made, wall = _timed(kind, calls, timed)
        cpu = time.process_time() - cpu0
    return {"calls": made, "wall_s": wall, "cpu_s": cpu, "rss_mb": _peak_mb(),
            "startup_s": startup}


def _timed(kind: str, calls: int, folder: Path) -> tuple[int, float]:
    if kind == "pipe":
        return pipe_run(calls // CALLS_PER_ITEM, folder)
    started = time.perf_counter()
    asyncio.run(bare_loop(calls))
    return calls, time.perf_counter() - started


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(*args: str) -> dict:
    return _result(args, _spawn(args))


def children_together(calls: int) -> dict[str, dict]:
    """pipe and bare at once, one per core: a host whose speed drifts over minutes (a shared
    VM) slows both alike, so their ratio holds where one after the other it would not."""
    procs = {kind: _spawn((kind, str(calls))) for kind in ("pipe", "bare")}
    return {kind: _result((kind, str(calls)), proc) for kind, proc in procs.items()}


def _spawn(args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--child", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _result(args, proc: subprocess.Popen) -> dict:
    stdout, stderr = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"child {args} failed:\n{stderr[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1])


def runs_table(sizes: list[int], rounds: int, together: bool = False) -> None:
    how = "pipe and bare at once" if together else "sizes interleaved"
    print(f"runs: RSA N={N} K={K} T={T}, zero-latency in-process endpoint, concurrency "
          f"{CONCURRENCY},\n  {rounds} round(s), {how}; load average {_load()}", flush=True)
    got: dict[int, list[tuple[dict, dict]]] = {calls: [] for calls in sizes}
    for r in range(rounds):
        for calls in sizes if r % 2 == 0 else sizes[::-1]:
            order = ("bare", "pipe") if (r + sizes.index(calls)) % 2 == 0 else ("pipe", "bare")
            pair = (children_together(calls) if together else
                    {kind: child(kind, str(calls)) for kind in order})
            assert pair["pipe"]["calls"] == pair["bare"]["calls"] == calls, pair
            got[calls].append((pair["pipe"], pair["bare"]))
            print(f"  round {r + 1}: {calls:>9,} calls  pipe {calls / pair['pipe']['wall_s']:>5.0f}"
                  f" c/s  bare {calls / pair['bare']['wall_s']:>5.0f} c/s  load {_load()}",
                  flush=True)
    print(f"{'calls':>9} | {'pipe/s':>6} {'bare/s':>6} {'ratio':>5} {'range':>9} | "
          f"{'RSS pipe':>8} {'bare':>5} | {'ms/call':>7} {'bare':>4} {'ratio':>5}")
    rows = {calls: _median_row(calls, pairs) for calls, pairs in got.items()}
    for calls, row in rows.items():
        print(f"{calls:>9,} | {row['pipe']:>6.0f} {row['bare']:>6.0f} {row['ratio']:>5.2f} "
              f"{row['low']:>4.2f}-{row['high']:<4.2f} | {row['pipe_rss']:>6.0f}MB "
              f"{row['bare_rss']:>3.0f}MB | {row['pipe_cpu']:>7.2f} {row['bare_cpu']:>4.2f} "
              f"{row['bare_cpu'] / row['pipe_cpu']:>5.2f}")
    _verdicts(rows)
    starts = [(row["pipe_start"], row["bare_start"]) for row in rows.values()]
    print(f"start-up, once per process (its first item, {CALLS_PER_ITEM} calls, not in the rates "
          f"above):\n  pipe {statistics.median(p for p, _ in starts):.2f} s, bare "
          f"{statistics.median(b for _, b in starts):.2f} s")
    print(f"load average now {_load()}")


def _median_row(calls: int, pairs: list[tuple[dict, dict]]) -> dict:
    """Median rates and paired ratio over rounds; the largest peak RSS; median CPU per call."""
    med = statistics.median
    ratios = [b["wall_s"] / p["wall_s"] for p, b in pairs]
    return {"pipe": med(calls / p["wall_s"] for p, _ in pairs),
            "bare": med(calls / b["wall_s"] for _, b in pairs),
            "ratio": med(ratios), "low": min(ratios), "high": max(ratios),
            "pipe_rss": max(p["rss_mb"] for p, _ in pairs),
            "bare_rss": max(b["rss_mb"] for _, b in pairs),
            "pipe_cpu": med(1000 * p["cpu_s"] / calls for p, _ in pairs),
            "bare_cpu": med(1000 * b["cpu_s"] / calls for _, b in pairs),
            "pipe_start": med(p["startup_s"] for p, _ in pairs),
            "bare_start": med(b["startup_s"] for _, b in pairs)}


def _verdicts(rows: dict[int, dict]) -> None:
    """The three goals, each with its figure and PASS or MISS."""
    ratios = [row["ratio"] for row in rows.values()]
    spread = (max(ratios) - min(ratios)) / max(ratios)
    rss = [row["pipe_rss"] for calls, row in rows.items() if calls >= 10_000]
    flat = (max(rss) - min(rss)) / min(rss) if len(rss) > 1 else None
    mark = lambda ok: "PASS" if ok else "MISS"
    print(f"ratio   {min(ratios):.2f}..{max(ratios):.2f}, goal >= 0.90 at every size: "
          f"{mark(min(ratios) >= 0.9)}")
    print(f"spread  {spread:.0%} of the ratio between sizes, goal <= 10%: {mark(spread <= 0.10)}")
    cpu = [row["bare_cpu"] / row["pipe_cpu"] for row in rows.values()]
    print(f"        (CPU per call: bare/pipe {min(cpu):.2f}..{max(cpu):.2f}, spread "
          f"{(max(cpu) - min(cpu)) / max(cpu):.0%})")
    print("pipe RSS " + ("needs two sizes from 10k calls up" if flat is None else
                         f"{min(rss):.0f}..{max(rss):.0f} MB from 10k calls up, {flat:.0%}, "
                         f"goal flat within 20%: {mark(flat <= 0.20)}"))


def first_calls(calls: int, items: int = MILLION) -> dict:
    """In a child process: a pipe run over an `items`-item JSONL dataset, stopped once `calls`
    calls are done: seconds until the run is recorded and until its first call is done, the
    rate of those calls, the peak RSS (the dataset file is written before, not timed)."""
    with tempfile.TemporaryDirectory() as d:
        recipe = write_recipe(Path(d), items)
        return asyncio.run(_first_calls(recipe, Path(d), calls))


async def _first_calls(recipe: Path, folder: Path, calls: int) -> dict:
    live: dict = {}
    options = RunOptions(endpoint="http://sim/v1", store=folder / "store", cache=False,
                         transport=httpx.ASGITransport(app=zero_latency_app()),
                         concurrency=CONCURRENCY,
                         on_start=lambda run_id, stats: live.update(stats=stats,
                                                                    at=time.perf_counter()))
    started = time.perf_counter()
    run = asyncio.create_task(pipelines.arun(recipe, options=options))
    first = None
    while "stats" not in live or live["stats"].calls < calls:
        if run.done():
            raise SystemExit(f"the run ended before {calls} calls: {run.result().status}")
        if first is None and live.get("stats") and live["stats"].calls:
            first = time.perf_counter()
        await asyncio.sleep(0.005)
    wall, made = time.perf_counter(), live["stats"].calls
    run.cancel()
    try:
        await run
    except (asyncio.CancelledError, KeyboardInterrupt):
        pass
    return {"recorded_s": live["at"] - started, "first_call_s": first - started,
            "calls": made, "rate": made / (wall - first), "rss_mb": _peak_mb()}


def first_calls_table(calls: int) -> None:
    print(f"\nfirst {calls:,} calls of a run over a {MILLION:,}-item JSONL dataset (stopped "
          f"there), same recipe and endpoint; load average {_load()}", flush=True)
    got = child("first", str(calls))
    print(f"run recorded after {got['recorded_s']:.2f} s, first call done after "
          f"{got['first_call_s']:.2f} s; {got['calls']:,} calls at {got['rate']:.0f} calls/s; "
          f"peak RSS {got['rss_mb']:.0f} MB", flush=True)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def write_batch(path: Path, lines: int) -> None:
    with open(path, "w") as f:
        for j in range(lines):
            f.write(json.dumps({"custom_id": f"r{j}", "method": "POST",
                                "url": "/v1/chat/completions",
                                "body": {"model": "m", "max_tokens": 16, "messages": [
                                    {"role": "user", "content": f"Solve q{j}"}]}}) + "\n")


def _batch_options(folder: Path) -> RunOptions:
    return RunOptions(store=folder / "store", endpoint="http://sim/v1", concurrency=CONCURRENCY,
                      transport=httpx.ASGITransport(app=zero_latency_app()), poll_s=0.05)


def measure_batch(phase: str, folder: Path, arg: str) -> dict:
    """In a child process: one phase of a batch job (submit a file, run, write results)."""
    started = time.perf_counter()
    if phase == "submit":
        done = jobs.submit(folder / arg, options=_batch_options(folder), api="concurrent",
                           now=True, run=False)
        info = {"job_id": done.job_id}
    elif phase == "run":
        outcome = jobs.resume(arg, _batch_options(folder))
        assert outcome.state == "completed", outcome
        info = {"done": outcome.counts["done"]}
    else:
        info = jobs.results(arg, folder / "out.jsonl", store=folder / "store")
        info = {"lines": info["output_lines"]}
    store_mb = sum(p.stat().st_size for p in (folder / "store").glob("batch.sqlite*")) / 2**20
    return {**info, "wall_s": time.perf_counter() - started, "rss_mb": _peak_mb(),
            "store_mb": store_mb}


def batch_table(sizes: list[int], submit_only: bool = False) -> None:
    print(f"\nbatch: `pipe batch submit` (--api concurrent) of an OpenAI Batch JSONL, then\n  "
          f"run on the same endpoint at concurrency {CONCURRENCY}; load average {_load()}")
    print(f"{'lines':>9} | {'submit s':>8} {'RSS':>6} {'store':>7} | {'run req/s':>9} "
          f"{'RSS':>6} | {'results s':>9} {'RSS':>6}")
    run_rss = {}
    for lines in sizes:
        with tempfile.TemporaryDirectory() as d:
            write_batch(Path(d) / "in.jsonl", lines)
            sub = child("batch", "submit", d, "in.jsonl")
            print(f"{lines:>9,} | {sub['wall_s']:>8.1f} {sub['rss_mb']:>4.0f}MB "
                  f"{sub['store_mb']:>5.0f}MB | ", end="", flush=True)
            if submit_only:
                print()
                continue
            ran = child("batch", "run", d, sub["job_id"])
            out = child("batch", "results", d, sub["job_id"])
        assert ran["done"] == out["lines"] == lines, (ran, out)
        run_rss[lines] = ran["rss_mb"]
        print(f"{lines / ran['wall_s']:>9.0f} {ran['rss_mb']:>4.0f}MB"
              f" | {out['wall_s']:>9.1f} {out['rss_mb']:>4.0f}MB", flush=True)
    rss = [mb for lines, mb in run_rss.items() if lines >= 10_000]
    if len(rss) > 1:
        flat = (max(rss) - min(rss)) / min(rss)
        print(f"run RSS {min(rss):.0f}..{max(rss):.0f} MB from 10k lines up, {flat:.0%}, goal "
              f"flat within 20%: {'PASS' if flat <= 0.20 else 'MISS'}")


def profile(calls: int) -> None:
    """cProfile of one pipe run: the top functions by own time, then pipe's own frames."""
    profiler = cProfile.Profile()
    with tempfile.TemporaryDirectory() as d:
        profiler.enable()
        pipe_run(calls // CALLS_PER_ITEM, Path(d))
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats("pipelines/", 40)
    print(out.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, nargs="*", default=CALLS,
                    help="run sizes in calls (the flag alone: no runs)")
    ap.add_argument("--batch-lines", type=int, nargs="*", default=BATCH_LINES,
                    help="batch sizes in lines (the flag alone: no batch)")
    ap.add_argument("--million", action="store_true", help="add 1M calls and 1M batch lines")
    ap.add_argument("--submit-only", action="store_true", help="batch: measure submit only")
    ap.add_argument("--rounds", type=int, default=3,
                    help="times each size is measured, interleaved (median reported)")
    ap.add_argument("--together", action="store_true",
                    help="run pipe and bare at the same time, one per core (a host whose "
                         "speed drifts slows both alike); needs two idle cores")
    ap.add_argument("--first-calls", type=int, metavar="CALLS",
                    help="also: a run over a 1M-item dataset, stopped after CALLS calls")
    ap.add_argument("--profile", type=int, metavar="CALLS")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "batch":
            result = measure_batch(rest[0], Path(rest[1]), rest[2])
        elif kind == "first":
            result = first_calls(int(rest[0]))
        else:
            result = measure_run(kind, int(rest[0]))
        print(json.dumps(result))
    elif args.profile:
        profile(args.profile)
    else:
        extra = [MILLION] if args.million else []
        if args.calls:
            runs_table(list(itertools.chain(args.calls, extra)), args.rounds, args.together)
        if args.first_calls:
            first_calls_table(args.first_calls)
        if args.batch_lines:
            batch_table(list(itertools.chain(args.batch_lines, extra)), args.submit_only)


if __name__ == "__main__":
    main()
