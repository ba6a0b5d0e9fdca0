"""Quality of the embedded MoE model on held-out arithmetic: one sample vs majority@N vs RSA.

    python benchmarks/moe_quality.py [--weights moe/weights] [--problems 100] [--seed 2024] [--device cuda]

Every problem is sampled N times at temperature 1.0 (the first RSA population). From that
population come single-sample accuracy (mean over all N samples) and majority@N (largest
cluster of equal answers, ties to the earliest). RSA then runs T-1 aggregation rounds: each
member of the next population aggregates K distinct members of the current one, drawn
uniformly. RSA accuracy is the mean accuracy of the final population (the paper's Pass@1).
numpy inference (the shipped runtime) by default, a few minutes on 2 cores; `--device cuda` samples
from the torch twin of the same weights instead (train extra), for sweeping checkpoints on a GPU.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402  (after the path fix)

from moe.checkpoint import DEFAULT_WEIGHTS_DIR  # noqa: E402
from moe.data import EVAL_STEPS, aggregate_prompt, arith_items, boxed_answer, solve_prompt  # noqa: E402
from moe.inference import MoEModel, complete  # noqa: E402


def answer_of(text: str) -> str | None:
    boxed = boxed_answer(text)
    try:
        return str(int(boxed)) if boxed is not None else None
    except ValueError:
        return boxed


def majority(answers: list[str | None]) -> str | None:
    """Most frequent non-empty answer; ties go to the answer seen first."""
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return None
    best = max(counts.values())
    return next(a for a in answers if a is not None and counts[a] == best)


def fit_aggregate_prompt(model: MoEModel, question: str, candidates: list[str], room: int) -> str:
    """The aggregation prompt, with the longest candidates shortened until `room` tokens remain."""
    candidates = list(candidates)
    while True:
        prompt = aggregate_prompt(question, candidates)
        used = len(model.tokenizer.apply_chat_template([{"role": "user", "content": prompt}]))
        if used + room <= model.config.max_seq_len:
            return prompt
        longest = max(range(len(candidates)), key=lambda i: len(candidates[i]))
        candidates[longest] = candidates[longest][: int(len(candidates[longest]) * 0.8)]


def sampler(model: MoEModel, device: str):
    """complete(prompts, max_new, temperature, rng) -> replies, on numpy or on the torch twin."""
    if device == "numpy":
        return lambda prompts, max_new, temperature, rng: complete(model, prompts, max_new, temperature, rng)
    # torch is the optional `train` extra: imported only when sampling on the torch twin
    import torch

    from moe.training.self_play import sample_replies
    from moe.training.torch_model import MoETransformer

    twin = MoETransformer(model.config, dense_experts=True).to(device)
    twin.load_arrays(model.tensors)
    twin.eval()

    def run(prompts, max_new, temperature, rng):
        generator = torch.Generator(device=device).manual_seed(int(rng.integers(2**31)))
        return sample_replies(twin, model.tokenizer, prompts, max_new, temperature, generator)
    return run


def run_rsa(model, items, n, k, rounds, temperature, max_new, rng, sample, aggregate_temperature=None):
    """Populations per round ([round][problem][member] texts) and the aggregation sets
    ([round - 1][problem][member] indices into the previous population); aggregation samples at
    `aggregate_temperature` (default: `temperature`)."""
    prompts = [solve_prompt(it["question"]) for it in items for _ in range(n)]
    texts = sample(prompts, max_new, temperature, rng)
    populations = [[texts[i * n : (i + 1) * n] for i in range(len(items))]]
    sets = []
    for _ in range(rounds - 1):
        current = populations[-1]
        prompts, chosen = [], []
        for item, members in zip(items, current):
            chosen.append([rng.choice(len(members), size=k, replace=False) for _ in range(n)])
            prompts += [fit_aggregate_prompt(model, item["question"], [members[j] for j in c], max_new)
                        for c in chosen[-1]]
        texts = sample(prompts, max_new, temperature if aggregate_temperature is None else aggregate_temperature, rng)
        populations.append([texts[i * n : (i + 1) * n] for i in range(len(items))])
        sets.append(chosen)
    return populations, sets


def aggregation_by_correct_candidates(items, populations, sets, k) -> list[tuple[int, int]]:
    """(aggregations, correct outputs) per number of correct candidates 0..k, over all rounds.

    An aggregator that beats voting keeps nearly every set with a correct majority right and
    repairs some sets with a wrong one; one that re-solves from scratch is flat across the row.
    """
    table = [[0, 0] for _ in range(k + 1)]
    for before, after, chosen in zip(populations, populations[1:], sets):
        for item, members, outputs, picks in zip(items, before, after, chosen):
            right = [answer_of(m) == item["answer"] for m in members]
            for pick, output in zip(picks, outputs):
                row = table[sum(right[j] for j in pick)]
                row[0] += 1
                row[1] += answer_of(output) == item["answer"]
    return [(a, b) for a, b in table]


def scores(items, population) -> tuple[float, float]:
    """(mean accuracy over members, majority-vote accuracy)."""
    mean, vote = [], []
    for item, members in zip(items, population):
        answers = [answer_of(m) for m in members]
        mean.append(np.mean([a == item["answer"] for a in answers]))
        vote.append(majority(answers) == item["answer"])
    return float(np.mean(mean)), float(np.mean(vote))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS_DIR)
    ap.add_argument("--problems", type=int, default=100)
    ap.add_argument("--seed", type=int, default=2024, help="held-out item seed (training never sees them)")
    ap.add_argument("--steps", type=int, default=EVAL_STEPS, help="operations per problem")
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--t", type=int, default=4, help="RSA rounds, counting the initial sampling")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--max-new-tokens", type=int, default=128)
    ap.add_argument("--device", default="numpy", help="numpy (default), or a torch device such as cuda")
    args = ap.parse_args(argv)

    began = time.time()
    model = MoEModel.load(args.weights)
    items = arith_items(args.problems, seed=args.seed, steps=args.steps)
    rng = np.random.default_rng(args.seed)
    populations, sets = run_rsa(model, items, args.n, args.k, args.t, args.temperature, args.max_new_tokens,
                                rng, sampler(model, args.device))
    print(f"{len(items)} held-out {args.steps}-operation problems, N={args.n} K={args.k} T={args.t}, "
          f"temperature {args.temperature}, weights {args.weights}")
    for r, population in enumerate(populations, 1):
        mean, vote = scores(items, population)
        print(f"  round {r}: population accuracy {mean:6.1%}   majority {vote:6.1%}")
    print(f"aggregations by correct candidates (of {args.k}), all rounds: "
          + "   ".join(f"{c}: {right / total:.0%} of {total}" if total else f"{c}: -"
                       for c, (total, right) in enumerate(aggregation_by_correct_candidates(
                           items, populations, sets, args.k))))
    single, majority_n = scores(items, populations[0])
    rsa, rsa_vote = scores(items, populations[-1])
    print(f"single-sample accuracy (T={args.temperature}): {single:6.1%}")
    print(f"majority@{args.n}:                      {majority_n:6.1%}")
    print(f"RSA (N={args.n}, K={args.k}, T={args.t}):           {rsa:6.1%}   (majority of final population {rsa_vote:.1%})")
    print(f"gaps: RSA - single = {100 * (rsa - single):+.1f} points; RSA - majority@{args.n} = "
          f"{100 * (rsa - majority_n):+.1f} points   ({time.time() - began:.0f}s)")


if __name__ == "__main__":
    main()
