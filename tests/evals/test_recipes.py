"""The RSA recipe and its baselines, run end to end against a fake arithmetic model."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest

import pipelines
from evals.scoring import extract_boxed
from evals.steps import step_metrics
from pipelines import RunOptions
from pipelines.nodes import NodeRun
from pipelines.nodes.groups import draw_groups
from pipelines.storage import RunStore
from tests.evals.fake_solver import candidate_answers, prompt_of, solver

RECIPES = Path(__file__).parents[2] / "recipes"
URL = "http://fake.test/v1"
ITEMS = [{"id": "p1", "question": "Compute 12+7*3.", "answer": "33"},
         {"id": "p2", "question": "Compute 5*6-4.", "answer": "26"},
         {"id": "p3", "question": "Compute 90-45+8.", "answer": "53"}]
INLINE = {"source": "inline", "items": ITEMS}


def run(recipe: str, store: Path, fake=None, **params):
    fake = fake or solver()
    result = pipelines.run(RECIPES / f"{recipe}.yaml", params, RunOptions(
        endpoint=URL, store=store, transport=httpx.ASGITransport(app=fake.app), dataset=INLINE,
        cache=False))
    assert result.exit_code == 0, result.items
    return result, fake


def answers(result) -> dict[str, str]:
    return {i["item_id"]: i["outputs"]["answer"] for i in result.items}


def test_rsa_with_one_step_is_self_consistency(tmp_path):
    rsa, rsa_fake = run("rsa_math", tmp_path / "rsa", N=6, K=2, T=1)
    sc, sc_fake = run("self_consistency", tmp_path / "sc", N=6)
    assert answers(rsa) == answers(sc)
    sent = lambda fake: sorted((prompt_of(b), b["seed"]) for b in fake.requests)
    assert sent(rsa_fake) == sent(sc_fake) and len(rsa_fake.requests) == 3 * 6


def test_aggregation_calls_draw_k_distinct_members_of_the_previous_population(tmp_path):
    result, fake = run("rsa_math", tmp_path, N=4, K=3, T=2)
    outputs = RunStore(tmp_path).outputs(result.run_id)
    for item in ITEMS:
        population = outputs[item["id"]]["solve"]
        groups = outputs[item["id"]]["steps.1.groups"]
        assert len(groups) == 4 and all(len(g) == 3 for g in groups)
        assert all(not Counter(g) - Counter(population) for g in groups)  # without replacement
        prompts = [prompt_of(b) for b in fake.requests if item["question"] in prompt_of(b)
                   and "Candidate solutions" in prompt_of(b)]
        assert sorted(p.count("---- Solution") for p in prompts) == [3] * 4


def test_consecutive_aggregation_prompts_share_instruction_and_problem_as_prefix(tmp_path):
    _, fake = run("rsa_math", tmp_path, N=4, K=2, T=2)
    prompts = [prompt_of(b) for b in fake.requests
               if "Compute 12+7*3." in prompt_of(b) and "Candidate solutions" in prompt_of(b)]
    shared = prompts[0][: prompts[0].index("---- Solution 1")]
    assert shared.index("Compute 12+7*3.") > shared.index("several candidate solutions")
    assert all(p.startswith(shared) for p in prompts)


@pytest.mark.parametrize("params, first, aggregation", [
    ({}, 1.0, 1.0), ({"temperature": 0.7}, 0.7, 0.7), ({"aggregate_temperature": 0.3}, 1.0, 0.3)])
def test_aggregation_samples_at_its_own_temperature_when_given(tmp_path, params, first, aggregation):
    _, fake = run("rsa_math", tmp_path / "runs.db", N=2, K=2, T=2, **params)
    sent = {("Candidate" in prompt_of(b), b["temperature"]) for b in fake.requests}
    assert sent == {(False, first), (True, aggregation)}


@pytest.mark.parametrize("recipe", ["rsa_math", "self_refine"])
def test_one_candidate_uses_the_refine_prompt(tmp_path, recipe):
    params = {"N": 3, "T": 2, **({"K": 1} if recipe == "rsa_math" else {})}
    _, fake = run(recipe, tmp_path, **params)
    second = [prompt_of(b) for b in fake.requests if "Candidate" in prompt_of(b)]
    assert len(second) == 3 * 3
    assert all("---- Candidate ----" in p and "Refine it" in p and "---- Solution" not in p
               for p in second)


def test_self_refine_refines_each_member_in_place(tmp_path):
    result, fake = run("self_refine", tmp_path, N=4, T=2)
    outputs = RunStore(tmp_path).outputs(result.run_id)
    for item in ITEMS:
        population = outputs[item["id"]]["solve"]
        refined_from = sorted(candidate_answers(prompt_of(b))[0] for b in fake.requests
                              if item["question"] in prompt_of(b) and "Candidate" in prompt_of(b))
        assert refined_from == sorted(int(extract_boxed(t)) for t in population)


def test_single_sample_makes_one_call_per_item_and_answers_from_it(tmp_path):
    result, fake = run("single", tmp_path)
    assert len(fake.requests) == len(ITEMS)
    stored = RunStore(tmp_path).outputs(result.run_id)
    assert answers(result) == {i: extract_boxed(stored[i]["solve"]) for i in stored}


def test_every_step_records_the_papers_metrics(tmp_path):
    result, _ = run("rsa_math", tmp_path, N=4, K=2, T=3)
    store = RunStore(tmp_path)
    outputs = store.outputs(result.run_id)
    rows = step_metrics(store, result.run_id)
    assert [r["step"] for r in rows] == [1, 2, 3]
    population_nodes = ["solve", "steps.1.aggregate", "steps.2.aggregate"]
    calls = store.calls(result.run_id)
    for row, node in zip(rows, population_nodes):
        correct = [[extract_boxed(t) == i["answer"] for t in outputs[i["id"]][node]] for i in ITEMS]
        assert row["mean_acc"] == pytest.approx(sum(map(sum, correct)) / (4 * len(ITEMS)))
        assert row["pass_at_n"] == pytest.approx(sum(map(any, correct)) / len(ITEMS))
        tokens = sorted(c.completion_tokens for c in calls if c.node == node)
        assert row["mean_tokens"] == pytest.approx(sum(tokens) / len(tokens))
    shown = pipelines.show(result.run_id, tmp_path)
    assert shown["steps"] == rows


def test_group_draws_follow_the_papers_rule_over_many_per_item_seeds():
    """Over many items (each its own seeded RNG): a member is in a given group with probability
    K/N, never twice in one group, and misses all N independent groups w.p. (1 - K/N)^N."""
    n, k, items = 6, 2, 3000
    in_group = absent = 0
    for i in range(items):
        ctx = NodeRun(item={"id": f"q{i}"}, params={}, env={}, chat=None, recipe_dir=Path("."),
                      artifacts_dir=Path("."), seed=1234)
        groups = draw_groups(list(range(n)), n, k, ctx.rng("steps.1.groups"))
        assert all(len(set(g)) == k for g in groups)
        in_group += sum(0 in g for g in groups)
        absent += sum(all(m not in g for g in groups) for m in range(n))
    assert in_group / (items * n) == pytest.approx(k / n, abs=0.015)
    assert absent / (items * n) == pytest.approx((1 - k / n) ** n, abs=0.01)
