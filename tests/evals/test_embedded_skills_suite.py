"""The embedded_skills suite (evals/embedded_skills.yaml) loads, asks in reasoning-gym's words
with <answer> tags, and compares RSA with majority voting at matched calls."""

from pathlib import Path

from evals.suite import load_suite

SUITE = Path(__file__).resolve().parents[2] / "evals" / "embedded_skills.yaml"


def test_embedded_skills_suite_expands_to_matched_cells():
    plan = load_suite(SUITE)
    assert set(plan.items) == {"basic_arithmetic", "number_sorting", "number_filtering"}
    assert all(len(items) == 30 for items in plan.items.values())
    for item in plan.items["number_sorting"]:
        numbers = item["question"].split(": ", 1)[1].split("\n")[0].split(", ")
        assert 3 <= len(numbers) <= 5 and all(n.endswith(".0") for n in numbers)
    for item in plan.items["basic_arithmetic"]:
        assert "*" not in item["question"] and "(" not in item["question"]
    rsa = [c for c in plan.cells if c.recipe == "rsa"]
    majority8 = [c for c in plan.cells if c.recipe == "self_consistency" and c.params.get("N") == 8]
    assert rsa and majority8 and {c.planned_calls for c in rsa} == {c.planned_calls for c in majority8}
    assert {c.params["aggregate_temperature"] for c in rsa} == {0.3, 1.0} and len(rsa) == 2 * len(plan.items)
    assert all(c.params["answer_format"] == "answer_tag" for c in plan.cells)
