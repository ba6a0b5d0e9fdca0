"""Serving benchmark of the embedded MoE model: batching, prefix cache, MLA memory, expert load.

    python benchmarks/moe_serving.py [--random] [--steps 40]

Prints four tables:
1. aggregate decode tokens/s at batch 1, 8, 32, 64 and the ratio to batch 1 (target: batch 32
   at least 8x batch 1);
2. prefix-cache hit share over a real RSA run: pipe runs recipes/rsa_math.yaml (N=8, K=4, T=3)
   on the embedded server in-process and the shares come from the usage in pipe's run store
   (cached_tokens / prompt_tokens), the solve and aggregation calls separately (target: at least
   40% of the aggregation prompts' tokens served from the cache), and the prefill work saved;
   2b simulates the same on the engine alone to compare candidate orders and block sizes;
3. KV-cache bytes per token of MLA against multi-head attention of the same shape;
4. distinct experts touched per decode step against E*(1-(1-k/E)^T) for T tokens per step;
5. the throughputs the embedded price sheet is derived from (recipes/cost/profiles/
   embedded-cpu.yaml): decode at batch 8, uncached prefill, and prompt tokens served from the
   prefix cache.

Uses the shipped weights (moe/weights) unless they are absent or --random is given, in which
case an untrained model of the same shape stands in (speed and memory are the same; text is not).
Everything runs with BLAS limited to one thread, as the server's engine runs
(`moe.inference.single_blas_thread`); nothing needs to be set in the environment.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402

from moe.checkpoint import DEFAULT_WEIGHTS_DIR  # noqa: E402
from moe.config import ModelConfig  # noqa: E402
from moe.data import aggregate_prompt, random_problem, solve_prompt  # noqa: E402
from moe.engine import EngineConfig, LLMEngine, SamplingParams  # noqa: E402
from moe.inference import LatentCache, MoEModel, SeqChunk, single_blas_thread  # noqa: E402
from moe.server import create_app  # noqa: E402


def load_model(random: bool) -> tuple[MoEModel, str]:
    if not random and (DEFAULT_WEIGHTS_DIR / "model.safetensors").is_file():
        return MoEModel.load(), "shipped weights"
    return MoEModel.random(ModelConfig(), seed=0), "random weights, shipped shape"


def blas_threads() -> str:
    """Threads of every loaded BLAS, as the engine's steps see them."""
    return ",".join(str(info["num_threads"]) for info in threadpool_info() if info["user_api"] == "blas")


def chat(model: MoEModel, text: str) -> list[int]:
    return model.tokenizer.apply_chat_template([{"role": "user", "content": text}])


def run_all(engine: LLMEngine, requests: list) -> dict[str, str]:
    """Step until idle; returns each request's text (choice 0)."""
    texts: dict[str, str] = {r.request_id: "" for r in requests}
    for r in requests:
        engine.add(r)
    while engine.has_work():
        for out in engine.step():
            texts[out.request_id] += "".join(d.text for d in out.deltas if d.index == 0)
    return texts


# -- 5. throughput for the price sheet ---------------------------------------------------------
def prompt_throughput(model: MoEModel, n: int = 32) -> tuple[float, float]:
    """(uncached prefill tokens/s, cache-hit prompt tokens/s) over n distinct ~150-token prompts.

    The second pass sends the same prompts again: their tokens come from the prefix cache
    except the last block, so its rate is what a cache-hit prompt token costs in server time.
    """
    engine = LLMEngine(model, EngineConfig(max_num_seqs=n))
    prompts = [chat(model, f"Problem {i}: " + " ".join(f"{i}+{j}={i + j}" for j in range(24)))
               for i in range(n)]
    params = SamplingParams(max_tokens=1, temperature=0.0)
    rates = []
    for _ in range(2):
        hits0, start = engine.stats.prefix_cache_hits, time.perf_counter()
        run_all(engine, [engine.make_request(p, params) for p in prompts])
        elapsed = time.perf_counter() - start
        hits = engine.stats.prefix_cache_hits - hits0
        rates.append((sum(map(len, prompts)) if not hits else hits) / elapsed)
    return rates[0], rates[1]


def table_pricing(model: MoEModel, steps: int) -> None:
    decode, _ = decode_throughput(model, 8, steps)
    prefill, cached = prompt_throughput(model)
    print("\n5. Throughput behind the embedded price sheet (recipes/cost/profiles/embedded-cpu.yaml)")
    print(f"decode at batch 8      : {decode:>9.0f} output tok/s")
    print(f"uncached prefill       : {prefill:>9.0f} prompt tok/s")
    print(f"prefix-cache hit tokens: {cached:>9.0f} prompt tok/s")


# -- 1. decode throughput --------------------------------------------------------------------
def decode_throughput(model: MoEModel, batch: int, steps: int) -> tuple[float, float]:
    """Decode tokens per wall second and per CPU second of this process (single-threaded)."""
    engine = LLMEngine(model, EngineConfig(max_num_seqs=max(batch, 1)))
    for i in range(batch):
        params = SamplingParams(max_tokens=steps + 20, temperature=1.0, seed=i, ignore_eos=True)
        engine.add(engine.make_request(chat(model, f"Question {i}: what is {i} + {2 * i}?"), params))
    while engine.num_waiting or any(r.num_computed < r.num_prompt_tokens for r in engine.scheduler.running):
        engine.step()  # prefill, not timed
    engine.step()
    start_tokens, wall, cpu = engine.stats.generation_tokens, time.perf_counter(), time.process_time()
    for _ in range(steps):
        engine.step()
    tokens = engine.stats.generation_tokens - start_tokens
    return tokens / (time.perf_counter() - wall), tokens / (time.process_time() - cpu)


def table_throughput(model: MoEModel, steps: int, repeats: int = 3) -> None:
    """Best of `repeats` interleaved runs per batch size.

    Tokens per CPU second is the steadier figure when other work shares the cores: the engine
    runs on one thread, so it equals tokens per wall second on an idle machine.
    """
    batches = (1, 8, 32, 64)
    wall = {b: 0.0 for b in batches}
    cpu = {b: 0.0 for b in batches}
    for _ in range(repeats):
        for b in batches:
            w, c = decode_throughput(model, b, steps)
            wall[b], cpu[b] = max(wall[b], w), max(cpu[b], c)
    threads = blas_threads()
    load = os.getloadavg()[0]
    print(f"\n1. Aggregate decode throughput (one engine, BLAS threads {threads}, best of {repeats}, "
          f"load average {load:.1f})")
    print(f"{'batch':>6} {'tok/s wall':>10} {'vs batch 1':>11} {'tok/CPU-s':>10} {'vs batch 1':>11}")
    for b in batches:
        print(f"{b:>6} {wall[b]:>10.0f} {wall[b] / wall[1]:>10.1f}x {cpu[b]:>10.0f} "
              f"{cpu[b] / cpu[1]:>10.1f}x")


# -- 2. prefix cache over an RSA run -------------------------------------------------------------
def rsa_run(model: MoEModel, sort_candidates: bool, block_size: int, n: int = 8, k: int = 4,
            t: int = 3, seed: int = 1234) -> dict[str, tuple[int, int, int]]:
    """Runs one RSA problem; per phase: (prompt tokens, cache hits, tokens computed)."""
    rng = np.random.default_rng(seed)
    question = random_problem(rng, 3).question
    engine = LLMEngine(model, EngineConfig(block_size=block_size))
    stats = engine.stats
    phases: dict[str, tuple[int, int, int]] = {}

    def phase(name: str, prompts: list[list[int]]) -> list[str]:
        q0, h0, c0 = stats.prefix_cache_queries, stats.prefix_cache_hits, stats.prefill_tokens_computed
        reqs = [engine.make_request(p, SamplingParams(max_tokens=48, seed=int(rng.integers(2**31))))
                for p in prompts]
        texts = run_all(engine, reqs)
        q, h, c = phases.get(name, (0, 0, 0))
        phases[name] = (q + stats.prefix_cache_queries - q0, h + stats.prefix_cache_hits - h0,
                        c + stats.prefill_tokens_computed - c0)
        return [texts[r.request_id] for r in reqs]

    population = phase("solve (step 1)", [chat(model, solve_prompt(question))] * n)
    for _ in range(t - 1):
        sets = [rng.choice(n, size=k, replace=False) for _ in range(n)]
        if sort_candidates:
            sets = [np.sort(s) for s in sets]
        prompts = [chat(model, aggregate_prompt(question, [population[i] for i in s])) for s in sets]
        population = phase("aggregate (steps 2-T)", prompts)
    return phases


def table_prefix_cache(model: MoEModel) -> None:
    print("\n2b. Prefix cache over a simulated RSA run on the engine (N=8, K=4, T=3, moe.data "
          "prompts, 48 output tokens; same seed in every row): candidate order and block size")
    print(f"{'block':>5} {'candidate order':<15} {'phase':<22} {'prompt tok':>10} {'hits':>6} "
          f"{'hit share':>9} {'prefill computed':>17}")
    for block_size in (16, 8, 4):
        for sort in (False, True):
            phases = rsa_run(model, sort, block_size)
            total = [sum(v[i] for v in phases.values()) for i in range(3)]
            for name, (q, h, c) in [*phases.items(), ("whole run", tuple(total))]:
                print(f"{block_size:>5} {'sorted' if sort else 'random (paper)':<15} {name:<22} "
                      f"{q:>10} {h:>6} {h / q:>8.1%} {c:>9} ({1 - c / q:.0%} saved)")


def pipe_rsa_run(model: MoEModel, block_size: int, size: int) -> tuple[dict[str, list[int]], int]:
    """recipes/rsa_math.yaml run by pipe against the server app in-process (no port).

    Returns per phase (solve, aggregate) [calls, prompt tokens, cached tokens] from pipe's own
    run store, and the prompt tokens the engine actually computed.
    """
    import tempfile

    import httpx

    from pipelines._api import run
    from pipelines.storage.run_store import RunStore

    recipe = Path(__file__).resolve().parents[1] / "recipes" / "rsa_math.yaml"
    app = create_app(model, block_size=block_size)
    with tempfile.TemporaryDirectory() as store:
        result = run(recipe, {"N": 8, "K": 4, "T": 3, "size": size}, endpoint="embedded",
                     transport=httpx.ASGITransport(app), store=store, cache=False)
        runs = RunStore(store)
        calls = runs.calls(result.run_id)
        runs.close()
    phases: dict[str, list[int]] = {}
    for call in calls:
        node = call["node"].split("[")[0].split("#")[0]
        row = phases.setdefault("aggregate" if node.endswith("aggregate") else node, [0, 0, 0])
        row[0] += 1
        row[1] += call["prompt_tokens"] or 0
        row[2] += call["cached_tokens"] or 0
    return phases, app.state.service.engine.engine.stats.prefill_tokens_computed


def table_pipe_rsa(model: MoEModel, size: int = 4) -> None:
    print(f"\n2. Prefix cache over a real RSA run: pipe runs recipes/rsa_math.yaml (N=8, K=4, T=3, "
          f"{size} problems) on the embedded server in-process; usage as pipe's run store recorded it "
          "(target: aggregation hit share >= 40%)")
    print(f"{'block':>5} {'phase':<10} {'calls':>5} {'prompt tok':>10} {'cached':>7} {'hit share':>9} "
          f"{'vs target':>9}")
    for block_size in (8, 4):
        phases, computed = pipe_rsa_run(model, block_size, size)
        phases["whole run"] = [sum(v[i] for v in phases.values()) for i in range(3)]
        for name, (n, prompt, cached) in phases.items():
            print(f"{block_size:>5} {name:<10} {n:>5} {prompt:>10} {cached:>7} {cached / prompt:>8.1%} "
                  f"{cached / prompt / 0.40:>8.2f}x")
        prompt = phases["whole run"][1]
        print(f"{block_size:>5} prefill computed {computed} of {prompt} prompt tokens "
              f"({1 - computed / prompt:.0%} saved)")


# -- 3. KV bytes -----------------------------------------------------------------------------------
def table_kv_bytes(model: MoEModel) -> None:
    cache = LatentCache(model.config)
    model.forward([SeqChunk(np.array(chat(model, "measure me"), np.int32), cache)])
    measured = cache.nbytes() / len(cache)
    mla, mha = model.kv_bytes_per_token(), model.mha_kv_bytes_per_token()
    print("\n3. KV-cache bytes per token (float32)")
    print(f"MLA (latent {model.config.kv_lora_rank} + rope key {model.config.qk_rope_dim}, "
          f"{model.config.n_layers} layers): {mla} (measured in a cache: {measured:.0f})")
    print(f"multi-head attention, same heads: {mha}")
    print(f"MHA / MLA: {mha / mla:.1f}x")


# -- 4. expert load ------------------------------------------------------------------------------
def table_expert_load(model: MoEModel) -> None:
    cfg = model.config
    e, k = cfg.n_routed_experts, cfg.top_k
    print(f"\n4. Distinct routed experts touched per decode step (E={e}, k={k}; mean over layers)")
    print(f"{'tokens/step':>11} {'measured':>9} {'E(1-(1-k/E)^T)':>15}")
    for batch in (1, 2, 4, 8, 16, 32, 64):
        engine = LLMEngine(model, EngineConfig(max_num_seqs=batch))
        for i in range(batch):
            engine.add(engine.make_request(chat(model, f"q{i}: {i}*{i}?"),
                                           SamplingParams(max_tokens=30, seed=i, ignore_eos=True)))
        for _ in range(3):
            engine.step()  # prefill
        touched = []
        for _ in range(20):
            engine.step()
            touched.append(float((engine.last_expert_counts > 0).sum(axis=1).mean()))
        print(f"{batch:>11} {np.mean(touched):>9.2f} {e * (1 - (1 - k / e) ** batch):>15.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--random", action="store_true", help="use an untrained model")
    parser.add_argument("--steps", type=int, default=40, help="timed decode steps per batch size")
    parser.add_argument("--only-pricing", action="store_true", help="print table 5 only")
    args = parser.parse_args()
    model, source = load_model(args.random)
    with single_blas_thread():
        print(f"moe serving benchmark: {source}; BLAS threads {blas_threads()}; {os.cpu_count()} cores")
        run_tables(model, args)


def run_tables(model: MoEModel, args: argparse.Namespace) -> None:
    if args.only_pricing:
        table_pricing(model, args.steps)
        return
    table_throughput(model, args.steps)
    table_pipe_rsa(model)
    table_prefix_cache(model)
    table_kv_bytes(model)
    table_expert_load(model)
    table_pricing(model, args.steps)


if __name__ == "__main__":
    main()
