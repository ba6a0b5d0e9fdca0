"""A batch job buys only the calls every item makes: a `repeat` wave gated by `stop_when`
(adaptive self-consistency) reads nothing but `item`, yet runs only if its gate lets it."""

from __future__ import annotations

from pathlib import Path

from pipelines.batch.recipe_input import first_level_llm_nodes, requests_from_recipe
from pipelines.recipe.plan_builder import build_plan

ADAPTIVE = Path(__file__).resolve().parents[3] / "recipes" / "adaptive_self_consistency.yaml"
PARAMS = {"N": 12, "W": 4, "size": 2}


def test_gated_waves_are_not_batched_only_the_first_wave_is():
    plan = build_plan(ADAPTIVE, PARAMS)
    gated = [n for n in plan.nodes if n.startswith("waves.") and n.endswith(".more")]
    assert len(gated) == 2  # the waves exist, their prompts read only the item
    assert all(not plan.nodes[n].deps() for n in gated)
    assert [n.id for n in first_level_llm_nodes(plan)] == ["solve"]
    requests = requests_from_recipe(ADAPTIVE, PARAMS)
    assert len(requests) == 2 * 4  # items x W samples of the first wave
    assert {r.custom_id.split("/")[1].split("#")[0] for r in requests} == {"solve"}
