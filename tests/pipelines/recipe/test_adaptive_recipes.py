"""The shipped adaptive recipes on the embedded model: `rsa_math.yaml -p adaptive=true` and
`adaptive_self_consistency.yaml` make fewer calls than their fixed-budget forms, every item
still ends ok, and `pipe show` says which items stopped early."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import pipelines
from pipelines import RunOptions
from pipelines.cli.main import main
from pipelines.storage import RunStore

RECIPES = Path(__file__).resolve().parents[3] / "recipes"
SMALL = {"size": 4, "N": 4, "K": 2, "T": 3, "max_tokens": 120}


def _calls(store: Path, run_id: str) -> int:
    return sum(1 for c in RunStore(store).calls(run_id) if c.status == "ok")


def test_adaptive_rsa_stops_agreeing_items_and_shows_it(tmp_path):
    store = tmp_path / "s"
    full = pipelines.run(RECIPES / "rsa_math.yaml", SMALL, RunOptions(store=store))
    adaptive = pipelines.run(RECIPES / "rsa_math.yaml", {**SMALL, "adaptive": True,
                                                         "stop_agreement": 0.5},
                             RunOptions(store=store))
    assert full.exit_code == adaptive.exit_code == 0
    assert {i["status"] for i in adaptive.items} == {"ok"}
    assert _calls(store, full.run_id) == 4 * (4 + 2 * 4)
    shown = pipelines.show(adaptive.run_id, store)
    stops = shown["stops"]
    assert stops is not None and stops["items"] >= 1  # 4 samples, 2 agreeing: the easy ones
    skipped_calls = sum(n * (3 - step) * 4 for step, n in stops["after_step"].items())
    assert _calls(store, adaptive.run_id) == 4 * (4 + 2 * 4) - skipped_calls
    text = CliRunner().invoke(main, ["show", adaptive.run_id, "--store", str(store)]).output
    assert f"stopped early: {stops['items']} items (after step" in text
    assert f"later steps skipped ({stops['skipped_nodes']} node runs), not failed" in text


def test_adaptive_self_consistency_samples_in_waves(tmp_path):
    store = tmp_path / "s"
    result = pipelines.run(RECIPES / "adaptive_self_consistency.yaml",
                           {"size": 4, "N": 8, "W": 2, "min_samples": 2, "max_tokens": 120},
                           RunOptions(store=store))
    assert result.exit_code == 0
    samples = [i["outputs"]["samples"] for i in result.items]
    assert all(s in (2, 4, 6, 8) for s in samples)
    assert _calls(store, result.run_id) == sum(samples)
    per_item = RunStore(store).outputs(result.run_id)
    for item in result.items:
        nodes = per_item[item["item_id"]]
        stopped = [v for k, v in nodes.items() if k.count(".") == 1 and k != "waves.0"
                   and v.get("stop") is True]
        assert (item["outputs"]["samples"] < 8) == bool(stopped)
