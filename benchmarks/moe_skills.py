"""The embedded model asked the ways clients ask, and on more than one task family.

    python benchmarks/moe_skills.py robustness [--weights moe/weights] [--per-size 12]
    python benchmarks/moe_skills.py limits [--weights moe/weights] [--per-size 12]
    python benchmarks/moe_skills.py families [--weights moe/weights] [--problems 60] [--seed 2024]
        [--n 4 --k 2 --t 2] [--agg-temperature 1.0]
    python benchmarks/moe_skills.py figma [--weights moe/weights] [--screens 24] [--seed 424242]
    python benchmarks/moe_skills.py real [--weights moe/weights]

`robustness`: greedy accuracy on held-out arithmetic problems (2 to 10 operations, the sizes the
model solves), the same problems asked with no system message, an empty, a generic and a
reasoning-gym system message, inside client wrappers and in other phrasings. `limits`: the wider
problems (two-digit addends, negative totals) by size, which is where the limits are.
`families`: per task family (arithmetic at 12 operations, number sorting, number filtering),
single sample (T=1), majority@N and RSA at the same number of calls, with 95% Wilson intervals;
RSA's answer is its final population's vote (the recipe's), the members' mean accuracy beside it.
`figma`: greedy specs for synthetic small screens (the training generator's, so not held out):
how many pass the validator for every target and how many are exactly the reference spec (the
skill a fine-tune must keep). `real`: the spec's loss per token on real-like sections (the
`sections` curriculum's) and on synthetic screens; then the real-file evaluation set's screens
(tests/translators/fixtures/real, files others wrote) and the hand-written fixtures
(translators/fixtures), cut into sections as the recipe cuts them for the embedded model, each
section's greedy first answer checked as the recipe checks it (valid for every target, exactly
the layer's texts), before any repair round. numpy inference, held-out problems only elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402  (after the path fix)

from benchmarks.moe_quality import run_rsa, scores  # noqa: E402
from moe.checkpoint import DEFAULT_WEIGHTS_DIR  # noqa: E402
from moe.data import (TAG_HINT, Problem, Term, arith_items, final_answer, is_held_out,  # noqa: E402
                      solve_prompt)
from moe.data_chat import TAG_SYSTEMS, expression, wide_problem  # noqa: E402
from moe.data_tasks import task_items  # noqa: E402
from moe.inference import MoEModel  # noqa: E402
from moe.inference.generate import generate  # noqa: E402
from pipelines.figures import wilson_interval  # noqa: E402
from translators.fixtures import fixture_paths  # noqa: E402
from translators.llm import Prompts, extract_yaml  # noqa: E402
from translators.sections import embedded_budget, plan_sections  # noqa: E402
from translators.sections.generate import sections_spec  # noqa: E402
from translators.steps import load_screen  # noqa: E402
from translators.synth import figma_example, real_like_example  # noqa: E402
from translators.synth.real_like import CONTEXT_TOKENS, MAX_TOKENS  # noqa: E402
from translators.ui_spec import ALL_TARGETS, check_spec  # noqa: E402

Ask = tuple[str | None, str]
SIZES = range(2, 11)


def parse_question(question: str):
    """The Problem behind a held-out "Compute ...." question (for rephrasing it)."""
    body, terms, sign, current = question[len("Compute "):-1], [], "+", ""
    for ch in body + "+":
        if ch in "+-":
            terms.append(Term(sign, tuple(int(f) for f in current.split("*"))))
            sign, current = ch, ""
        else:
            current += ch
    return Problem(tuple(terms))


CONDITIONS = {
    "no system message": lambda p, q: (None, solve_prompt(q)),
    "empty system message": lambda p, q: ("", solve_prompt(q)),
    "generic system message": lambda p, q: ("You are a helpful assistant.", solve_prompt(q)),
    "wrapped (User: ... Assistant:)": lambda p, q: (None, f"User: {solve_prompt(q)}\nAssistant:"),
    "generic system + wrapped": lambda p, q: ("You are a helpful assistant.",
                                              f"Question: {solve_prompt(q)}\nAnswer:"),
    "reasoning-gym system, <answer> tags": lambda p, q: (TAG_SYSTEMS[0], solve_prompt(q, TAG_HINT)),
    "bare question (Compute ...)": lambda p, q: (None, q),
    "Calculate a + b * c. (reasoning-gym)": lambda p, q: (None, f"Calculate {expression(p, True)}."),
    "What is a + b * c?": lambda p, q: (None, f"What is {expression(p, True)}?"),
    "Evaluate: a+b*c. + tags asked": lambda p, q: (
        None, f"Evaluate: {expression(p, False)}.\nGive your final answer in <answer></answer> tags."),
    "a + b * c =": lambda p, q: (None, f"{expression(p, True)} ="),
}


def chat_ids(model: MoEModel, ask: Ask) -> list[int]:
    system, user = ask
    messages = ([] if system is None else [{"role": "system", "content": system}]) + [
        {"role": "user", "content": user}]
    return model.tokenizer.apply_chat_template(messages)


def greedy(model: MoEModel, asks: list[Ask], max_new: int = 160) -> list[str]:
    outs = generate(model, [chat_ids(model, a) for a in asks], max_new, 0.0, np.random.default_rng(0))
    return [model.tokenizer.decode(o) for o in outs]


def interval(right: int, n: int) -> str:
    low, high = wilson_interval(right, n)
    return f"{right / n:6.1%} [{low:.0%}, {high:.0%}]"


def right_count(replies: list[str], answers: list[str], tag: bool = False) -> int:
    return sum(final_answer(r) == a and (not tag or "<answer>" in r) for r, a in zip(replies, answers))


def robustness(model: MoEModel, per_size: int, seed: int) -> None:
    items = [it for steps in SIZES for it in arith_items(per_size, seed=seed, steps=steps)]
    problems = [parse_question(it["question"]) for it in items]
    answers = [it["answer"] for it in items]
    print(f"{len(items)} held-out arithmetic problems ({per_size} of each size {SIZES.start}-{SIZES.stop - 1} "
          "operations), greedy; [95% Wilson interval]")
    for name, ask in CONDITIONS.items():
        replies = greedy(model, [ask(p, it["question"]) for p, it in zip(problems, items)])
        print(f"  {name:40s} {interval(right_count(replies, answers, 'tags' in name), len(items))}")


def limits(model: MoEModel, per_size: int, seed: int) -> None:
    """Greedy accuracy on held-out wider problems, by size: where the model's limits are."""
    rng = np.random.default_rng([seed, 99])
    print("held-out wider problems (addends up to 99, totals -99..99), 'Compute ...', greedy:")
    for steps in (1, 2, 3, 4, 6, 8):
        wide = []
        while len(wide) < per_size:
            problem = wide_problem(rng, steps)
            if is_held_out(problem.question):
                wide.append(problem)
        replies = greedy(model, [(None, solve_prompt(p.question)) for p in wide])
        print(f"  {steps} operations: {interval(right_count(replies, [str(p.answer) for p in wide]), len(wide))}")


FAMILY_SIZES = {"number_sorting": (3, 5), "number_filtering": (3, 8)}
"""Numbers per held-out problem; sorting stops at 5 so that two candidates fit the context."""


def family_items(problems: int, seed: int) -> dict[str, tuple[list[dict], int]]:
    """Held-out items and reply budget per family."""
    return {"arithmetic (12 ops)": (arith_items(problems, seed=seed), 128),
            "number_sorting": (task_items("number_sorting", problems, seed, FAMILY_SIZES["number_sorting"]), 200),
            "number_filtering": (task_items("number_filtering", problems, seed,
                                            FAMILY_SIZES["number_filtering"]), 160)}


def families(model: MoEModel, problems: int, seed: int, n: int, k: int, t: int,
             aggregate_temperature: float) -> None:
    calls = n * t
    print(f"{problems} held-out problems per family; temperature 1.0, aggregation {aggregate_temperature}; "
          f"RSA N={n} K={k} T={t} = {calls} calls, its answer the final population's vote; [95% Wilson interval]")
    for name, (items, max_new) in family_items(problems, seed).items():
        began = time.time()
        populations, _ = run_rsa(model, items, n, k, t, 1.0, max_new, np.random.default_rng(seed), sampler(model),
                                 aggregate_temperature)
        extra = sampler(model)([solve_prompt(it["question"]) for it in items for _ in range(calls - n)],
                               max_new, 1.0, np.random.default_rng(seed + 1))
        pooled = [populations[0][i] + extra[i * (calls - n): (i + 1) * (calls - n)] for i in range(len(items))]
        single, vote_n = scores(items, populations[0])
        _, vote_calls = scores(items, pooled)
        rsa, rsa_vote = scores(items, populations[-1])
        samples = len(items) * n
        print(f"  {name} ({time.time() - began:.0f}s)\n"
              f"    single {interval(round(single * samples), samples)}   "
              f"majority@{n} {interval(round(vote_n * len(items)), len(items))}   "
              f"majority@{calls} {interval(round(vote_calls * len(items)), len(items))}   "
              f"RSA {interval(round(rsa_vote * len(items)), len(items))} (members {rsa:.1%})")


def figma(model: MoEModel, screens: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    pairs = [figma_example(rng) for _ in range(screens)]
    replies = greedy(model, [(None, prompt) for prompt, _ in pairs], max_new=512)
    valid = sum(check_spec(extract_yaml(r), targets=ALL_TARGETS).ok for r in replies)
    exact = sum(r.strip() == spec.strip() for r, (_, spec) in zip(replies, pairs))
    print(f"{screens} synthetic small screens (seed {seed}), greedy: {valid} specs valid for every "
          f"target, {exact} exactly the reference")


REAL = ROOT / "tests" / "translators" / "fixtures" / "real"


async def _no_repairs(messages, **sampling) -> str:
    raise AssertionError("first answers only: no repair round is asked")


def real(model: MoEModel) -> None:
    print(f"spec loss per token (8 each, seed 99): real-like sections "
          f"{spec_loss(model, real_like_example, 8):.3f},\n  synthetic small screens "
          f"{spec_loss(model, lambda rng: figma_example(rng, size='small'), 8):.3f}")
    real_set = [(s["name"], REAL / s["file"], s["frame"]) for s in json.loads((REAL / "screens.json").read_text())]
    sections_table(model, "real screens", real_set)
    sections_table(model, "hand-written fixtures", [(p.stem, p, None) for p in fixture_paths()])


def spec_loss(model: MoEModel, draw, count: int) -> float:
    """Mean cross-entropy per completion token (its end included) of `count` drawn pairs."""
    rng, total, tokens = np.random.default_rng(99), 0.0, 0
    for _ in range(count):
        prompt, spec = draw(rng)
        head = chat_ids(model, (None, prompt))
        ids = np.array(head + model.tokenizer.encode(spec) + [model.tokenizer.eos_id])
        logits = model.sequence_logits(ids)[len(head) - 1:-1].astype(np.float64)
        logits -= logits.max(-1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        total -= log_probs[np.arange(len(log_probs)), ids[len(head):]].sum()
        tokens += len(ids) - len(head)
    return total / tokens


def sections_table(model: MoEModel, title: str, screens: list[tuple[str, Path, str | None]]) -> None:
    prompts = Prompts(ROOT / "recipes" / "prompts", "terse")
    budget = embedded_budget(CONTEXT_TOKENS, MAX_TOKENS, prompts.single)  # what real_like trains on
    valid_sections = asked_sections = valid_screens = 0
    print(f"## {title}")
    for name, path, frame in screens:
        plan = plan_sections(load_screen(path, frame).root, budget)
        asked = [s for s in plan["sections"] if s["llm"]]
        replies = greedy(model, [(None, s["prompt"]) for s in asked], max_new=MAX_TOKENS)
        outcome = asyncio.run(sections_spec(plan, replies, _no_repairs, prompts, max_rounds=1))
        ok = sum(r["status"] == "valid" for r in outcome["sections"])
        valid_sections, asked_sections = valid_sections + ok, asked_sections + len(asked)
        valid_screens += ok == len(asked)
        first_error = next((r["errors"][0].split("\n")[0] for r in outcome["sections"] if r["errors"]), "")
        print(f"  {name:<20} {ok:>2}/{len(asked):<2} valid  {first_error.removeprefix('round1.yaml')[:44]}")
    print(f"{len(screens)} {title}, greedy first answers: {valid_sections}/{asked_sections} sections\n"
          f"  valid ({interval(valid_sections, asked_sections).strip()}), {valid_screens} screens all valid")


def sampler(model: MoEModel):
    def run(prompts, max_new, temperature, rng):
        outs = generate(model, [chat_ids(model, (None, p)) for p in prompts], max_new, temperature, rng)
        return [model.tokenizer.decode(o) for o in outs]
    return run


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("robustness", "limits", "families", "figma", "real"))
    ap.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS_DIR)
    ap.add_argument("--per-size", type=int, default=12, help="robustness: problems per size")
    ap.add_argument("--problems", type=int, default=60, help="families: problems per family")
    ap.add_argument("--screens", type=int, default=24, help="figma: synthetic screens")
    ap.add_argument("--seed", type=int, default=None, help="default: 2024 (figma: 424242)")
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--k", type=int, default=2)
    ap.add_argument("--t", type=int, default=2)
    ap.add_argument("--agg-temperature", type=float, default=1.0, help="families: aggregation calls' temperature")
    args = ap.parse_args(argv)
    if args.seed is None:
        args.seed = 424242 if args.what == "figma" else 2024
    began = time.time()
    model = MoEModel.load(args.weights)
    print(f"weights {args.weights}")
    if args.what == "robustness":
        robustness(model, args.per_size, args.seed)
    elif args.what == "limits":
        limits(model, args.per_size, args.seed)
    elif args.what == "figma":
        figma(model, args.screens, args.seed)
    elif args.what == "real":
        real(model)
    else:
        families(model, args.problems, args.seed, args.n, args.k, args.t, args.agg_temperature)
    print(f"({time.time() - began:.0f}s)")


if __name__ == "__main__":
    main()
