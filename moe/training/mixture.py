"""The training data mixture: a curriculum of named sources of (user prompt, completion) pairs.

Each source draws from a numpy Generator, so a batch is a pure function of (seed, step, total
steps) and training resumes from a checkpoint on exactly the data it would have seen.

Curriculum `full` (`full_phases`, by fraction of the run):
- from 0: solving problems of up to 6 operations, aggregating synthetic candidates (wrong results
  injected), and Figma compact tree -> YAML UI spec;
- from 0.3: up to 8 operations; the wrong candidates also carry the slips a small model makes
  (wrong operands, left-out terms);
- from 0.55: half of the aggregation examples use the model's *own* samples as candidates
  (`moe.training.self_play`, drawn once at the phase's start), so it learns to repair the mistakes it
  actually makes, not only the ones we imagine.
Solving is learned first; aggregating (long context, checking candidates' steps) is the harder skill.

The `refine` curriculum fine-tunes trained weights on aggregating their own samples; `stretch`
does so on longer problems than it solves, which is what made RSA pay off for the shipped weights
(docs/model.md).

The `figma` source (Figma compact tree -> YAML UI spec) belongs to another package: the mixture
receives its generator as an argument (`curricula(figma_example)`), and the training script
(scripts/train_moe.py) passes the translators' one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from moe.data import (Problem, aggregate_prompt, corrupted_solution, format_solution,
                      is_held_out, random_problem, slipped_solution, solve_prompt)
from moe.tokenizer import Tokenizer
from moe.training.own_samples import OwnSamples

FigmaExample = Callable[[np.random.Generator], tuple[str, str]]
"""Draws one `figma` example, (compact Figma tree, YAML UI spec), from a numpy Generator."""


@dataclass(frozen=True)
class Source:
    name: str
    weight: float
    """Share of each batch's examples drawn from this source (normalised within its phase)."""
    sample: Callable[..., tuple[str, str]]
    """sample(rng) -> (prompt, completion); sample(rng, own) when `needs_own_samples`."""
    needs_own_samples: bool = False


def training_problem(rng: np.random.Generator, n_ops: int) -> Problem:
    """A random problem outside the held-out evaluation bucket."""
    while True:
        problem = random_problem(rng, n_ops)
        if not is_held_out(problem.question):
            return problem


SHORT_SOLVE_OPS = ((1, 2, 3, 4, 5, 6), (0.1, 0.15, 0.2, 0.2, 0.2, 0.15))
SHORT_AGGREGATE_OPS = ((2, 3, 4, 5, 6), (0.15, 0.2, 0.25, 0.2, 0.2))
LONG_SOLVE_OPS = ((1, 2, 3, 4, 5, 6, 7, 8), (0.05, 0.05, 0.1, 0.1, 0.15, 0.15, 0.2, 0.2))
LONG_AGGREGATE_OPS = ((2, 3, 4, 5, 6, 7, 8), (0.05, 0.1, 0.1, 0.15, 0.2, 0.2, 0.2))
CANDIDATES_PER_PROMPT = ((1, 2, 3, 4), (0.1, 0.1, 0.15, 0.65))


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
    k = int(rng.choice(CANDIDATES_PER_PROMPT[0], p=CANDIDATES_PER_PROMPT[1]))
    n_correct = int(rng.integers(0, k + 1))
    correct = format_solution(problem)
    candidates = [correct] * n_correct
    while len(candidates) < k:
        wrong = corrupt(problem, rng)
        copies = 2 if rng.random() < 0.2 else 1
        candidates += [wrong] * min(copies, k - len(candidates))
    rng.shuffle(candidates)
    return aggregate_prompt(problem.question, candidates), correct


def own_aggregate_example(rng: np.random.Generator, own: OwnSamples) -> tuple[str, str]:
    """Candidates are the model's own earlier samples for a training problem (`moe.training.self_play`)."""
    entry = own.draw(rng)
    k = min(int(rng.choice(CANDIDATES_PER_PROMPT[0], p=CANDIDATES_PER_PROMPT[1])), len(entry.samples))
    chosen = rng.choice(len(entry.samples), size=k, replace=False)
    return aggregate_prompt(entry.question, [entry.samples[i] for i in chosen]), entry.solution


_solve_long = functools.partial(solve_example, ops=LONG_SOLVE_OPS)
_aggregate_long = functools.partial(aggregate_example, ops=LONG_AGGREGATE_OPS, corrupt=slipped_solution)

Phases = tuple[tuple[float, tuple[Source, ...]], ...]
"""(first fraction of the run, sources) per curriculum phase; the first starts at 0."""


def full_phases(figma_example: FigmaExample) -> Phases:
    """The phases of the `full` curriculum (training from scratch)."""
    figma = Source("figma", 0.2, figma_example)
    return (
        (0.0, (Source("solve", 0.35, solve_example), Source("aggregate", 0.45, aggregate_example), figma)),
        (0.3, (Source("solve", 0.2, _solve_long), Source("aggregate", 0.6, _aggregate_long), figma)),
        (0.55, (Source("solve", 0.2, _solve_long), Source("aggregate", 0.3, _aggregate_long),
                Source("aggregate_own", 0.3, own_aggregate_example, needs_own_samples=True), figma)),
    )


REFINE_OPS = ((2, 3, 4, 5, 6, 7, 8, 9, 10), (0.04, 0.04, 0.06, 0.08, 0.1, 0.14, 0.16, 0.18, 0.2))
"""Problem sizes of the refine curriculum: longer than the full run's, so that 9-10-operation
problems leave test-time scaling room once the solver is strong at 8."""


def fine_tune_phases(aggregate_ops, solve: float, aggregate: float, own: float, figma: float,
                     figma_example: FigmaExample) -> Phases:
    """One phase for fine-tuning trained weights (`--init-from`): solving up to REFINE_OPS, synthetic
    aggregation over `aggregate_ops`, aggregation of the model's own samples (drawn before the
    first step) and Figma, with these batch shares, so that no skill is forgotten."""
    return ((0.0, (Source("solve", solve, functools.partial(solve_example, ops=REFINE_OPS)),
                   Source("aggregate", aggregate, functools.partial(aggregate_example, ops=aggregate_ops,
                                                                    corrupt=slipped_solution)),
                   Source("aggregate_own", own, own_aggregate_example, needs_own_samples=True),
                   Source("figma", figma, figma_example))),)


STRETCH_AGGREGATE_OPS = ((6, 7, 8, 9, 10, 11, 12, 13), (0.04, 0.06, 0.08, 0.1, 0.14, 0.18, 0.2, 0.2))
STRETCH_OWN_OPS = ((9, 10, 11, 12, 13), (0.1, 0.15, 0.25, 0.25, 0.25))


@dataclass(frozen=True)
class Curriculum:
    """A run's data plan: which sources each batch draws from, by the run's progress."""

    phases: Phases
    """(first fraction of the run, sources) per phase; the first starts at 0."""
    own_ops: tuple[tuple[int, ...], tuple[float, ...]]
    """(operation counts, probabilities) of the problems the model samples its own candidates for."""
    own_tasks: Callable | None = None
    """own_tasks(rng, problems) -> [(solve prompt, correct solution, answer)] to sample own
    candidates for, instead of arithmetic problems of `own_ops` (`moe.training.skills`)."""

    def phase_index(self, step: int, total_steps: int) -> int:
        fraction = step / max(total_steps, 1)
        return max(i for i, (first, _) in enumerate(self.phases) if first <= fraction)

    def sources_at(self, step: int, total_steps: int) -> tuple[Source, ...]:
        return self.phases[self.phase_index(step, total_steps)][1]

    def first_own_sample_step(self, total_steps: int) -> int:
        """The first step whose batch draws on the model's own samples."""
        first = min(f for f, sources in self.phases if any(s.needs_own_samples for s in sources))
        return next(s for s in range(total_steps + 1) if s == total_steps or s / max(total_steps, 1) >= first)


CURRICULUM_NAMES = ("full", "refine", "stretch")


def curricula(figma_example: FigmaExample) -> dict[str, Curriculum]:
    """Every curriculum by name (CURRICULUM_NAMES), with `figma` examples drawn by `figma_example`.

    - full: from scratch (`full_phases`);
    - refine: mostly aggregation of the model's own samples, on the problem sizes it also solves;
    - stretch: aggregation on longer problems than solving (up to 13 operations vs 10): test-time
      scaling is for the problems one sample cannot solve, so the aggregator is trained where the
      solver is unreliable and its own samples there (mostly wrong) are the candidates it learns
      to repair and vote over.
    """
    return {
        "full": Curriculum(full_phases(figma_example), LONG_AGGREGATE_OPS),
        "refine": Curriculum(fine_tune_phases(REFINE_OPS, solve=0.15, aggregate=0.15, own=0.5, figma=0.2,
                                              figma_example=figma_example), REFINE_OPS),
        "stretch": Curriculum(fine_tune_phases(STRETCH_AGGREGATE_OPS, solve=0.15, aggregate=0.25, own=0.45,
                                               figma=0.15, figma_example=figma_example), STRETCH_OWN_OPS),
    }


def text_corpus(seed: int, size: int, phases: Phases) -> list[str]:
    """Prompts and completions drawn from every source of `phases` (the `full` curriculum's) that
    needs no model: the tokenizer's corpus."""
    rng = np.random.default_rng([seed, 7])
    sources = [s for _, phase in phases for s in phase if not s.needs_own_samples]
    pairs = [source.sample(rng) for source in sources for _ in range(size // len(phases))]
    return [text for prompt, completion in pairs
            for text in ((*(t for t in prompt if t), completion) if isinstance(prompt, tuple) else (prompt, completion))]


def encode_example(tokenizer: Tokenizer, prompt: str | tuple[str | None, str],
                   completion: str) -> tuple[list[int], int]:
    """Token ids of the whole chat turn and the index where the (trained) completion starts.

    `prompt` is the user message, or (system message or None, user message)."""
    system, user = prompt if isinstance(prompt, tuple) else (None, prompt)
    messages = [{"role": "user", "content": user}]
    if system is not None:
        messages.insert(0, {"role": "system", "content": system})
    head = tokenizer.apply_chat_template(messages)
    return head + tokenizer.encode(completion) + [tokenizer.eos_id], len(head)


MAX_DRAWS = 50
"""Draws per example before a source is declared too long for the context."""


def sample_batch(seed: int, step: int, size: int, tokenizer: Tokenizer, max_len: int, total_steps: int,
                 curriculum: Curriculum,
                 own: OwnSamples | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Batch `step` of a run: (tokens [size, T] int64 right-padded, loss mask [size, T], counts).

    mask[i, t] is 1 where token t+1 is part of a completion (the target of position t).
    `own` is the run's own-sample pool, needed from the phase that uses it on.
    """
    rng = np.random.default_rng([seed, step])
    sources = curriculum.sources_at(step, total_steps)
    if own is None and any(s.needs_own_samples for s in sources):
        raise ValueError(f"step {step} draws from the model's own samples; generate them first "
                         "(moe.training.self_play)")
    weights = np.array([s.weight for s in sources])
    picks = rng.choice(len(sources), size=size, p=weights / weights.sum())
    rows, starts, counts = [], [], {s.name: 0 for s in sources}
    for pick in picks:
        source = sources[pick]
        for _ in range(MAX_DRAWS):
            pair = source.sample(rng, own) if source.needs_own_samples else source.sample(rng)
            ids, start = encode_example(tokenizer, *pair)
            if len(ids) <= max_len:
                break
        else:
            raise ValueError(f"source {source.name!r} drew no example of at most max_len={max_len} tokens in "
                             f"{MAX_DRAWS} tries; raise ModelConfig.max_seq_len")
        rows.append(ids)
        starts.append(start)
        counts[source.name] += 1
    width = max(len(r) for r in rows)
    tokens = np.full((size, width), tokenizer.pad_id, dtype=np.int64)
    mask = np.zeros((size, width), dtype=np.float32)
    for i, (ids, start) in enumerate(zip(rows, starts)):
        tokens[i, : len(ids)] = ids
        mask[i, start - 1 : len(ids) - 1] = 1.0
    return tokens, mask, counts
