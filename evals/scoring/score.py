"""Score answers and whole populations against an item's gold answer.

How an item is judged travels with the item (see `evals.datasets`): `answer_format` names the
extractor (`boxed` for math, `answer_tag` for reasoning-gym), `equivalence` names how answers are
compared, and a `reasoning_gym` entry reference hands judging to the task's own scorer.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from evals.scoring.rg import CORRECT_SCORE, rg_score
from pipelines.answers import cluster, equivalence, extractor, majority

Item = Mapping[str, Any]


def answer_format(item: Item) -> str:
    """The extractor name for this item's answers: `boxed` unless the item says otherwise."""
    default = "answer_tag" if "reasoning_gym" in item else "boxed"
    return str(item.get("answer_format") or default)


def equivalence_name(item: Item) -> str:
    """How answers to this item are compared (with gold, and with each other in votes)."""
    default = "normalized" if "reasoning_gym" in item else "math"
    return str(item.get("equivalence") or default)


def score_answer(item: Item, answer: str | None, equivalence_as: str | None = None) -> float:
    """Score in 0..1 of an extracted answer; no answer scores 0. reasoning-gym items are judged
    by their task's scorer; others by `equivalence_as` (default: the item's equivalence)."""
    if answer is None:
        return 0.0
    if "reasoning_gym" in item:
        return rg_score(item["reasoning_gym"], answer)
    gold = item.get("answer")
    if gold is None:
        return 0.0
    same = equivalence(equivalence_as or equivalence_name(item))
    return 1.0 if same(str(gold), answer) else 0.0


def is_correct(score: float) -> bool:
    return score >= CORRECT_SCORE


def score_population(item: Item, texts: Sequence[Any], extract_as: str | None = None,
                     equivalence_as: str | None = None) -> dict[str, Any]:
    """The paper's per-step metrics for one item's population.

    mean_acc: fraction of members correct (the paper's Pass@1); majority_acc: 1 if the
    largest equivalence cluster's answer is correct (ties to the earliest cluster; no-answers
    never win); pass_at_n: 1 if any member is correct. Extraction and equivalence default to
    the item's own (`answer_format`, `equivalence`).
    """
    extract = extractor(extract_as or answer_format(item))
    same_name = equivalence_as or equivalence_name(item)
    answers = [extract(text) if isinstance(text, str) else None for text in texts]
    correct = [is_correct(score_answer(item, a, same_name)) for a in answers]
    winner = majority(cluster(answers, equivalence(same_name)))
    majority_answer = winner["answer"] if winner else None
    n = len(answers)
    return {
        "n": n,
        "mean_acc": sum(correct) / n if n else 0.0,
        "majority_acc": float(is_correct(score_answer(item, majority_answer, same_name))),
        "pass_at_n": float(any(correct)),
        "majority_answer": majority_answer,
        "answers": answers,
        "correct": correct,
        "no_answer": sum(a is None for a in answers),
    }
