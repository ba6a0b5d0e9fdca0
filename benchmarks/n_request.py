"""n samples per problem: N separate requests vs one request with `n` (#20), on the embedded
server, same problems, same sampling parameters, no response cache.

Runs recipes/self_consistency.yaml with `n_requests: separate`, again so with n times the
requests in flight (`sep. xn`: as many samples decode at once as with one n-request each), and
with `n_requests: one`, and prints side by side: requests sent, prompt tokens billed (and of
them answered from the server's prefix cache), output tokens, dollars as the run's meter prices
them (embedded-cpu profile, which charges prefix-cache hits little), the same tokens at a hosted
API's list price with every prompt token billed as sent (DeepSeek-chat's cache-miss rate), and
wall time; then the ratios of one to the other two. `--shots K` puts K solved problems in front
of every prompt (a few-shot prompt: where a long prompt dominates the bill).

    python benchmarks/n_request.py [--n 8] [--size 16] [--max-tokens 64] [--shots 0] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pipelines  # noqa: E402
from moe.data import arith_items, solve_prompt  # noqa: E402
from pipelines import RunOptions  # noqa: E402
from pipelines.cost import load_meter  # noqa: E402
from pipelines.endpoints.embedded import embedded_endpoint  # noqa: E402
from pipelines.storage.run_store import RunStore  # noqa: E402
from pipelines.types import Usage  # noqa: E402

HOSTED = ("https://api.deepseek.com/v1", "deepseek-chat")
"""A hosted API's list price the same tokens are priced at (it bills every prompt sent)."""


class Counting(httpx.AsyncBaseTransport):
    """The embedded server's transport, counting the requests it serves."""

    def __init__(self):
        self.inner, self.requests = embedded_endpoint.transport(), 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await self.inner.handle_async_request(request)


def recipe(folder: Path, shots: int) -> Path:
    """self_consistency.yaml, with `shots` solved problems in a system message when asked."""
    spec = yaml.safe_load((ROOT / "recipes/self_consistency.yaml").read_text())
    shutil.copytree(ROOT / "recipes/prompts", folder / "prompts")
    if shots:
        examples = "\n\n".join(f"{solve_prompt(i['question'])}\n\\boxed{{{i['answer']}}}"
                               for i in arith_items(shots, seed=999))
        spec["nodes"]["solve"]["messages"] = [
            {"role": "system", "content": "Solved examples:\n\n" + examples},
            {"role": "user", "prompt": "prompts/rsa_solve.j2"}]
        del spec["nodes"]["solve"]["prompt"]
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


CONCURRENCY = 16
"""Requests in flight (the endpoint's default `concurrency`)."""
COLUMNS = ("separate", "sep. xn", "one")
"""A request per sample; the same with n times the requests in flight (as many samples decode
at once as in one n-request each); one request with `n` per problem."""


def measure(path: Path, params: dict, column: str, store: Path) -> dict:
    transport = Counting()
    wide = CONCURRENCY * params["N"] if column == "sep. xn" else CONCURRENCY
    start = time.perf_counter()
    mode = "one" if column == "one" else "separate"
    result = pipelines.run(path, params, RunOptions(
        endpoint={"url": "embedded", "n_requests": mode}, store=store, cache=False,
        transport=transport, concurrency=wide))
    wall = time.perf_counter() - start
    if result.exit_code != 0:
        raise SystemExit(f"{column}: run failed: {json.dumps(result.items)[:500]}")
    rows = RunStore(store).calls(result.run_id)
    meter, now = load_meter(), datetime.now(timezone.utc)
    hosted = sum(meter.price(endpoint=HOSTED[0], model=HOSTED[1], started_at=now,
                             usage=Usage(prompt_tokens=r.prompt_tokens,
                                         completion_tokens=r.completion_tokens)).usd
                 for r in rows)
    return {"requests": transport.requests, "samples": len(rows),
            "prompt tokens": sum(r.prompt_tokens for r in rows),
            "prefix-cached": sum(r.cached_tokens for r in rows),
            "output tokens": sum(r.completion_tokens for r in rows),
            "$ embedded-cpu": sum(r.cost_usd for r in rows),
            "$ hosted, uncached": hosted,
            "wall s": wall}


def show(found: dict[str, dict]) -> None:
    """Side by side, then one / separate and one / (sep. xn)."""
    separate, wide, one = (found[c] for c in COLUMNS)
    print(f"{'':19}" + "".join(f"{c:>12}" for c in COLUMNS) + f"{'one/sep':>10}{'one/xn':>10}")
    for key in separate:
        fmt = (lambda v: f"{v:.3g}") if key.startswith("$") else \
            (lambda v: f"{v:.2f}") if key == "wall s" else (lambda v: f"{v:,}")
        ratios = [f"{one[key] / base[key]:.3f}" if base[key] else "-" for base in (separate, wide)]
        print(f"{key:19}" + "".join(f"{fmt(found[c][key]):>12}" for c in COLUMNS)
              + f"{ratios[0]:>10}{ratios[1]:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=8, help="samples per problem")
    parser.add_argument("--size", type=int, default=16, help="problems")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--shots", type=int, default=0, help="solved problems before each prompt")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (best wall time)")
    args = parser.parse_args()
    params = {"N": args.n, "size": args.size, "max_tokens": args.max_tokens}
    with tempfile.TemporaryDirectory() as tmp:
        path = recipe(Path(tmp) / "recipe", args.shots)
        measure(path, {"N": 1, "size": 1, "max_tokens": 4}, "one", Path(tmp) / "warm")
        runs: dict[str, list[dict]] = {c: [] for c in COLUMNS}
        for r in range(args.repeat):  # alternated, so that load on the machine hits each
            for column in COLUMNS:
                runs[column].append(measure(path, params, column, Path(tmp) / f"{column}{r}"))
        found = {c: {**got[0], "wall s": min(m["wall s"] for m in got)} for c, got in runs.items()}
    print(f"self-consistency, embedded server: {args.size} problems x n={args.n}, max_tokens "
          f"{args.max_tokens},\n{args.shots}-shot prompts, {CONCURRENCY} requests in flight "
          f"(sep. xn: {CONCURRENCY * args.n}); wall: best of {args.repeat}")
    show(found)


if __name__ == "__main__":
    main()
