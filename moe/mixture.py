"""The training data mixture: a curriculum of named sources of (user prompt, completion) pairs.

Each source draws from a numpy Generator, so a batch is a pure function of (seed, step) and
training resumes from a checkpoint on exactly the data it would have seen.

Curriculum (PHASES): first solving and aggregating half and half on problems of up to 4
operations; from step 2000 on, three quarters aggregation, up to 5 operations; from step 2750
on, the wrong candidates also carry the slips the model itself makes (wrong operands, left-out
terms), not only wrong results. Solving is learned first; aggregating (long context,
checking candidates' steps) is the harder skill.

Hook for the Figma issue: when its generator (Figma compact tree -> YAML UI spec) exists, add
`Source("figma", weight, figma_example)` to the last phase, where figma_example(rng) returns
(prompt, yaml_spec), raise ModelConfig.max_seq_len if its pairs are longer, and retrain.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from moe.data import (Problem, aggregate_prompt, corrupted_solution, format_solution,
                      is_held_out, random_problem, slipped_solution, solve_prompt)
from moe.tokenizer import Tokenizer

@dataclass(frozen=True)
class Source:
    name: str
    weight: float
    """Share of each batch's examples drawn from this source (normalised within its phase)."""
    sample: Callable[[np.random.Generator], tuple[str, str]]


def training_problem(rng: np.random.Generator, n_ops: int) -> Problem:
    """A random problem outside the held-out evaluation bucket."""
    while True:
        problem = random_problem(rng, n_ops)
        if not is_held_out(problem.question):
            return problem


SHORT_SOLVE_OPS = ((1, 2, 3, 4), (0.15, 0.25, 0.35, 0.25))
SHORT_AGGREGATE_OPS = ((2, 3, 4), (0.25, 0.45, 0.3))
LONG_SOLVE_OPS = ((1, 2, 3, 4, 5), (0.1, 0.15, 0.25, 0.25, 0.25))
LONG_AGGREGATE_OPS = ((2, 3, 4, 5), (0.15, 0.25, 0.3, 0.3))


def solve_example(rng: np.random.Generator, ops=SHORT_SOLVE_OPS) -> tuple[str, str]:
    problem = training_problem(rng, int(rng.choice(ops[0], p=ops[1])))
    return solve_prompt(problem.question), format_solution(problem)


def aggregate_example(rng: np.random.Generator, ops=SHORT_AGGREGATE_OPS,
                      corrupt=corrupted_solution) -> tuple[str, str]:
    """K candidates, anywhere from none to all of them correct; the target is a correct solution.

    A wrong candidate is sometimes repeated, so that agreeing candidates can still be wrong and
    the model learns to check steps rather than count votes.
    """
    problem = training_problem(rng, int(rng.choice(ops[0], p=ops[1])))
    k = int(rng.choice([1, 2, 3, 4], p=[0.1, 0.1, 0.15, 0.65]))
    n_correct = int(rng.integers(0, k + 1))
    correct = format_solution(problem)
    candidates = [correct] * n_correct
    while len(candidates) < k:
        wrong = corrupt(problem, rng)
        copies = 2 if rng.random() < 0.2 else 1
        candidates += [wrong] * min(copies, k - len(candidates))
    rng.shuffle(candidates)
    return aggregate_prompt(problem.question, candidates), correct


PHASES: tuple[tuple[int, tuple[Source, ...]], ...] = (
    (0, (Source("solve", 0.5, solve_example), Source("aggregate", 0.5, aggregate_example))),
    (2000, (Source("solve", 0.25, functools.partial(solve_example, ops=LONG_SOLVE_OPS)),
            Source("aggregate", 0.75, functools.partial(aggregate_example, ops=LONG_AGGREGATE_OPS)))),
    (2750, (Source("solve", 0.25, functools.partial(solve_example, ops=LONG_SOLVE_OPS)),
            Source("aggregate", 0.75, functools.partial(aggregate_example, ops=LONG_AGGREGATE_OPS,
                                                        corrupt=slipped_solution)))),
)
"""(first step, sources) per curriculum phase."""


def sources_at(step: int) -> tuple[Source, ...]:
    return [sources for first, sources in PHASES if first <= step][-1]


def text_corpus(seed: int, size: int) -> list[str]:
    """Prompts and completions drawn from every source: what the tokenizer is trained on."""
    rng = np.random.default_rng([seed, 7])
    return [text for source in sources_at(0) for _ in range(size) for text in source.sample(rng)]


def encode_example(tokenizer: Tokenizer, prompt: str, completion: str) -> tuple[list[int], int]:
    """Token ids of the whole chat turn and the index where the (trained) completion starts."""
    head = tokenizer.apply_chat_template([{"role": "user", "content": prompt}])
    return head + tokenizer.encode(completion) + [tokenizer.eos_id], len(head)


def sample_batch(seed: int, step: int, size: int, tokenizer: Tokenizer,
                 max_len: int) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Batch `step` of a run: (tokens [size, T] int64 right-padded, loss mask [size, T], counts).

    mask[i, t] is 1 where token t+1 is part of a completion (the target of position t).
    """
    rng = np.random.default_rng([seed, step])
    sources = sources_at(step)
    weights = np.array([s.weight for s in sources])
    picks = rng.choice(len(sources), size=size, p=weights / weights.sum())
    rows, starts, counts = [], [], {s.name: 0 for s in sources}
    for pick in picks:
        while True:
            ids, start = encode_example(tokenizer, *sources[pick].sample(rng))
            if len(ids) <= max_len:
                break
        rows.append(ids)
        starts.append(start)
        counts[sources[pick].name] += 1
    width = max(len(r) for r in rows)
    tokens = np.full((size, width), tokenizer.pad_id, dtype=np.int64)
    mask = np.zeros((size, width), dtype=np.float32)
    for i, (ids, start) in enumerate(zip(rows, starts)):
        tokens[i, : len(ids)] = ids
        mask[i, start - 1 : len(ids) - 1] = 1.0
    return tokens, mask, counts
