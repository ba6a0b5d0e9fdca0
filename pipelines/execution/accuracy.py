"""Accuracy of a run: each item's final answer judged against its gold answer, the way the
recipe itself judges answers.

Gold is the item's `answer` field (what the `jsonl`, `arith` and `reasoning_gym` sources give
every item). The answer judged is the output of the recipe's final `vote` node (the one named
`answer`, else the last one), already extracted by that node's `extract`; it is compared with
gold by that node's `equivalence` (gold first: math-verify is not symmetric). Items that failed
count as wrong; items stopped by the budget are not scored. A recipe without a vote node, or a
dataset without gold, has no accuracy.
"""

from __future__ import annotations

from itertools import islice
from typing import Any, Iterable

from pipelines.answers import equivalence
from pipelines.figures import Accuracy
from pipelines.nodes.vote import VoteNode
from pipelines.recipe.plan import Plan
from pipelines.types import ItemStatus

CHUNK = 500
"""Items scored per round trip to the store (ids in one `IN (...)` query)."""

GOLD_FIELD = "answer"
"""The item field holding the gold answer."""

Scores = dict[str, tuple[str, bool]]
"""item id -> (gold, correct)."""


def final_vote(plan: Plan) -> VoteNode | None:
    """The vote node whose answer is the recipe's answer: `answer` if so named, else the last."""
    votes = [n for n in plan.nodes.values() if isinstance(n, VoteNode)]
    named = [v for v in votes if v.id == "answer"]
    return (named or votes[-1:] or [None])[0]


def score_items(plan: Plan, items: list[dict[str, Any]], results: list[dict[str, Any]],
                outputs: dict[str, dict[str, Any]]) -> Scores:
    """(gold, correct) of every finished or failed item that has gold. `results` are the run
    store's item rows, `outputs` its node outputs (item id -> node id -> value)."""
    vote = final_vote(plan)
    if vote is None:
        return {}
    same = equivalence(vote.config.equivalence)
    status = {r["item_id"]: r["status"] for r in results}
    scores: Scores = {}
    for item in items:
        item_id, gold = str(item["id"]), item.get(GOLD_FIELD)
        if gold is None or status.get(item_id) not in (ItemStatus.OK, ItemStatus.FAILED):
            continue
        answer = (outputs.get(item_id, {}).get(vote.id) or {}).get("answer")
        correct = status[item_id] == ItemStatus.OK and answer is not None \
            and bool(same(str(gold), str(answer)))
        scores[item_id] = (str(gold), correct)
    return scores


def accuracy_of(scores: Scores) -> Accuracy | None:
    """Correct out of scored; None when nothing was scored."""
    if not scores:
        return None
    return Accuracy(sum(c for _, c in scores.values()), len(scores))


def score_run(plan: Plan, items: Iterable[dict[str, Any]], store: Any, run_id: str
              ) -> Accuracy | None:
    """Score a finished run CHUNK items at a time, saving each item's gold and correctness to
    `store` (a `RunStore`) as it goes: memory does not grow with the dataset. `items` is the
    dataset (a stream is read once). Correct out of scored; None when nothing was scored."""
    vote = final_vote(plan)
    if vote is None:
        return None
    correct = scored = 0
    source = iter(items)
    while chunk := list(islice(source, CHUNK)):
        ids = [str(i["id"]) for i in chunk if i.get(GOLD_FIELD) is not None]
        if not ids:
            continue
        answers = store.node_outputs(run_id, vote.id, ids)
        scores = score_items(plan, chunk, store.item_states(run_id, ids),
                             {i: {vote.id: v} for i, v in answers.items()})
        store.save_scores(run_id, scores)
        correct += sum(c for _, c in scores.values())
        scored += len(scores)
    return Accuracy(correct, scored) if scored else None
