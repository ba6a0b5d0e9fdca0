"""Reference resolution and repeat unrolling."""

from __future__ import annotations

from pathlib import Path

from pipelines.recipe.plan_builder import build_plan

RSA = Path(__file__).parent / "recipes" / "rsa.yaml"


def test_repeat_unrolls_into_distinct_nodes_per_step():
    plan = build_plan(RSA, {"T": "4"})
    assert list(plan.nodes) == [
        "solve", "steps.0",
        "steps.1.groups", "steps.1.aggregate",
        "steps.2.groups", "steps.2.aggregate",
        "steps.3.groups", "steps.3.aggregate",
        "answer"]
    assert plan.nodes["steps.1.groups"].deps() == {"steps.0"}
    assert plan.nodes["steps.2.groups"].deps() == {"steps.1.aggregate"}
    assert plan.nodes["steps.3.aggregate"].deps() == {"steps.3.groups"}
    assert plan.nodes["answer"].deps() == {"steps.3.aggregate"}
    assert plan.nodes["steps.2.aggregate"].locals == {"step": 2}


def test_zero_repetitions_pass_the_init_value_through():
    plan = build_plan(RSA, {"T": 1})
    assert list(plan.nodes) == ["solve", "steps.0", "answer"]
    assert plan.nodes["answer"].deps() == {"steps.0"}


def test_static_fields_are_resolved_from_params():
    plan = build_plan(RSA, {"N": 6, "K": 3})
    groups = plan.nodes["steps.1.groups"].config
    assert (groups.count, groups.size) == (6, 3)
    assert plan.nodes["solve"].config.n == 6


def test_graph_text_formats():
    plan = build_plan(RSA, {"T": 2})
    mermaid, dot = plan.mermaid(), plan.dot()
    assert mermaid.startswith("flowchart TD") and "steps.1.aggregate" in mermaid
    assert '"steps.1.groups" -> "steps.1.aggregate";' in dot
    assert mermaid.count("-->") == dot.count("->") == plan.graph.number_of_edges() == 4
