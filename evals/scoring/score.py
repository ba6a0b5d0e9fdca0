"""Score answers and whole populations against an item's gold answer.

How an item is judged travels with the item (see `evals.datasets`): `answer_format` names the
extractor (`boxed` for math, `answer_tag` for reasoning-gym), `equivalence` names how answers are
compared, and a `reasoning_gym` entry reference hands judging to the task's own scorer.
"""

from __future__ import annotations

import statistics
from typing import Any, Mapping, Sequence

from evals.scoring.equivalence import EQUIVALENCES
from evals.scoring.extract import EXTRACTORS
from evals.scoring.rg import CORRECT_SCORE, rg_score
from evals.scoring.vote import cluster_answers, majority

Item = Mapping[str, Any]


def answer_format(item: Item) -> str:
    """The extractor name for this item's answers: `boxed` unless the item says otherwise."""
    default = "answer_tag" if "reasoning_gym" in item else "boxed"
    return str(item.get("answer_format") or default)


def equivalence_name(item: Item) -> str:
    """How answers to this item are compared (with gold, and with each other in votes)."""
    default = "normalized" if "reasoning_gym" in item else "math"
    return str(item.get("equivalence") or default)


def score_answer(item: Item, answer: str | None) -> float:
    """Score in 0..1 of an extracted answer; no answer scores 0."""
    if answer is None:
        return 0.0
    if "reasoning_gym" in item:
        return rg_score(item["reasoning_gym"], answer)
    gold = item.get("answer")
    if gold is None:
        return 0.0
    same = EQUIVALENCES[equivalence_name(item)]
    return 1.0 if same(str(gold), answer) else 0.0


def is_correct(score: float) -> bool:
    return score >= CORRECT_SCORE


def score_population(
    item: Item, texts: Sequence[str], completion_tokens: Sequence[int] | None = None
) -> dict[str, Any]:
    """The paper's per-step metrics for one item's population.

    mean_acc: fraction of members correct (the paper's Pass@1); majority_acc: 1 if the
    largest equivalence cluster's answer is correct; pass_at_n: 1 if any member is correct.
    """
    extract = EXTRACTORS[answer_format(item)]
    answers = [extract(text) for text in texts]
    correct = [is_correct(score_answer(item, a)) for a in answers]
    winner = majority(cluster_answers(answers, EQUIVALENCES[equivalence_name(item)]))
    majority_answer = winner.answer if winner else None
    n = len(texts)
    metrics: dict[str, Any] = {
        "n": n,
        "mean_acc": sum(correct) / n if n else 0.0,
        "majority_acc": float(is_correct(score_answer(item, majority_answer))),
        "pass_at_n": float(any(correct)),
        "majority_answer": majority_answer,
        "answers": answers,
        "correct": correct,
        "no_answer": sum(a is None for a in answers),
    }
    if completion_tokens is not None:
        metrics.update(token_stats(completion_tokens))
    return metrics


def token_stats(completion_tokens: Sequence[int]) -> dict[str, Any]:
    tokens = [int(t) for t in completion_tokens]
    return {
        "tokens": tokens,
        "mean_tokens": statistics.fmean(tokens) if tokens else None,
        "median_tokens": float(statistics.median(tokens)) if tokens else None,
    }
