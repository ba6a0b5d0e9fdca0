"""The shipped recipe on the embedded MoE server: templates match the model's training format,
and a small RSA run goes end to end in-process (no port, no configuration)."""

from __future__ import annotations

from pathlib import Path

import pipelines
from moe import data
from moe.inference import MoEModel
from moe.server import service
from pipelines import ItemStatus, RunOptions
from pipelines.sandbox.templates import Templates
from pipelines.storage.run_store import RunStore

ROOT = Path(__file__).resolve().parents[3]


def test_rsa_templates_render_exactly_the_training_prompts():
    t = Templates(ROOT / "recipes")
    params = {"answer_format": "boxed"}
    q = "Compute 7+5*3-2."
    sols = ["5*3=15\n7+15=22\n22-2=20\n\\boxed{20}", "7+5=12\n12*3=36\n\\boxed{34}", "\\boxed{1}"]
    assert t.render("prompts/rsa_solve.j2", {"question": q, "params": params}) == data.solve_prompt(q)
    for cands in (sols, sols[:1]):
        rendered = t.render("prompts/rsa_aggregate.j2",
                            {"question": q, "candidates": cands, "params": params})
        assert rendered == data.aggregate_prompt(q, cands)


def test_rsa_math_runs_on_the_embedded_server(tmp_path):
    result = pipelines.run(ROOT / "recipes/rsa_math.yaml",
                           {"N": 3, "K": 2, "T": 2, "size": 2, "max_tokens": 48},
                           RunOptions(store=tmp_path))
    assert result.exit_code == 0, result.items
    calls = RunStore(tmp_path).calls(result.run_id)
    assert len(calls) == 2 * (3 + 3)
    assert all(c.status == "ok" and c.completion_tokens > 0 for c in calls)
    assert all(c.endpoint == "embedded" and c.cost_usd is not None for c in calls)
    # aggregation prompts of one item share instruction + problem: the server's prefix cache hits
    agg = [c for c in calls if c.node == "steps.1.aggregate"]
    assert sum(c.cached_tokens for c in agg) > 0
    for item in result.items:
        assert set(item["outputs"]) == {"question", "gold", "answer", "votes"}


def test_weights_the_model_cannot_load_fail_items_with_moe_message_as_input_error(tmp_path,
                                                                              monkeypatch):
    """moe raises its own MoEInputError; the embedded endpoint turns it into pipe's InputError."""
    monkeypatch.setattr(service, "default_model", lambda: MoEModel.load(tmp_path / "empty"))
    result = pipelines.run(ROOT / "recipes/rsa_math.yaml", {"N": 2, "K": 2, "T": 1, "size": 1},
                           RunOptions(store=tmp_path / "store", cache=False))
    assert result.exit_code == 1
    [item] = result.items
    assert item["status"] == ItemStatus.FAILED
    assert item["error"].startswith("InputError: model directory"), item["error"]
