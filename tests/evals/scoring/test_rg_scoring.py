"""`evals.scoring.rg`: reasoning-gym items judged by their task's own scorer."""

import json

import pytest
import reasoning_gym

from evals.datasets import reasoning_gym_items
from evals.scoring import score_answer, score_population


def _roundtrip(item):
    return json.loads(json.dumps(item))  # items live in the run store as JSON


def test_exact_task_scored_by_its_own_scorer():
    item = _roundtrip(reasoning_gym_items("basic_arithmetic", size=3, seed=11)[0])
    assert item["answer"] is not None
    assert score_answer(item, item["answer"]) == 1.0
    assert score_answer(item, str(int(item["answer"]) + 1)) < 1.0
    assert score_answer(item, None) == 0.0


def test_simulated_task_is_scored_by_simulating_the_answer():
    items = [_roundtrip(i) for i in reasoning_gym_items("rubiks_cube", size=3, seed=5)]
    reference = reasoning_gym.create_dataset("rubiks_cube", size=3, seed=5)
    for index, item in enumerate(items):
        assert item["answer"] is None  # no gold string: only simulation can judge
        solution = reference[index]["metadata"]["example_correct_answer"]
        assert score_answer(item, solution) == 1.0
        assert score_answer(item, "U U") < 1.0  # well-formed but wrong: partial credit at most


def test_population_of_a_simulated_task_uses_answer_tags():
    item = reasoning_gym_items("rubiks_cube", size=1, seed=2)[0]
    solution = reasoning_gym.create_dataset("rubiks_cube", size=1, seed=2)[0]["metadata"][
        "example_correct_answer"]
    texts = [f"<answer>{solution}</answer>", "<answer>U U</answer>", "no tags", f"<answer>{solution}</answer>"]
    metrics = score_population(item, texts)
    assert metrics["correct"] == [True, False, False, True]
    assert metrics["mean_acc"] == 0.5
    assert metrics["majority_acc"] == 1.0
    assert metrics["no_answer"] == 1


def test_a_scorer_crash_on_odd_output_counts_as_wrong():
    item = reasoning_gym_items("prime_factorization", size=1, seed=1)[0]
    dataset = reasoning_gym.create_dataset("prime_factorization", size=1, seed=1)
    with pytest.raises(ValueError):  # the task's own scorer raises on this output ...
        dataset.score_answer("}}}{{{", dataset[0])
    assert score_answer(item, "}}}{{{") == 0.0  # ... and scoring turns that into a wrong answer
    assert score_answer(item, item["answer"]) == 1.0
