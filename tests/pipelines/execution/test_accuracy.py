"""Accuracy judges each item's final vote against gold with the recipe's own equivalence."""

from __future__ import annotations

import pipelines
from pipelines.execution.accuracy import accuracy_of, final_vote, score_items
from tests.pipelines.conftest import BASIC

PROMPT = {"solve.j2": "Q: {{ question }}"}
ITEMS = [{"id": "a", "question": "q", "answer": "1"}, {"id": "b", "question": "q", "answer": "2"},
         {"id": "c", "question": "q", "answer": "3"}, {"id": "d", "question": "q", "answer": "4"},
         {"id": "e", "question": "q"}]
RESULTS = [{"item_id": "a", "status": "ok"}, {"item_id": "b", "status": "ok"},
           {"item_id": "c", "status": "failed"}, {"item_id": "d", "status": "budget"},
           {"item_id": "e", "status": "ok"}]
OUTPUTS = {"a": {"answer": {"answer": "1.0"}}, "b": {"answer": {"answer": "2"}},
           "e": {"answer": {"answer": "9"}}}


def plan_with(recipe_dir, equivalence: str):
    return pipelines.validate(recipe_dir(BASIC.replace("equivalence: exact",
                                                       f"equivalence: {equivalence}"), PROMPT))


def test_exact_equivalence_counts_only_identical_answers(recipe_dir):
    scores = score_items(plan_with(recipe_dir, "exact"), ITEMS, RESULTS, OUTPUTS)
    # a: "1.0" is not "1"; c failed (wrong); d stopped by budget and e without gold: unscored
    assert scores == {"a": ("1", False), "b": ("2", True), "c": ("3", False)}
    acc = accuracy_of(scores)
    assert (acc.correct, acc.total) == (1, 3)


def test_the_recipes_own_equivalence_decides(recipe_dir):
    scores = score_items(plan_with(recipe_dir, "normalized"), ITEMS, RESULTS, OUTPUTS)
    assert scores == {"a": ("1", True), "b": ("2", True), "c": ("3", False)}


def test_no_vote_node_or_no_gold_means_no_accuracy(recipe_dir):
    no_vote = BASIC.replace("  answer:\n    kind: vote\n    from: ${solve.output}\n"
                            "    extract: none\n    equivalence: exact\n", "")
    no_vote = no_vote.replace("${answer.output.answer}", "${solve.output}")
    plan = pipelines.validate(recipe_dir(no_vote, PROMPT))
    assert final_vote(plan) is None
    assert score_items(plan, ITEMS, RESULTS, OUTPUTS) == {}
    assert accuracy_of({}) is None
    gold_free = [{k: v for k, v in i.items() if k != "answer"} for i in ITEMS]
    assert score_items(plan_with(recipe_dir, "exact"), gold_free, RESULTS, OUTPUTS) == {}
