"""Per-step population metrics of a run, recomputed from its run store.

`score` nodes store each item's population metrics (`evals.scoring.node`); output tokens come from
the stored calls of the node each score node scored. Used by eval reports (the RSA
accuracy-vs-step curves) and by `pipe show`, where `step_metrics` is registered as the `steps`
entry of `pipe.show_sections` (called as `step_metrics(run_store, run_id)`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Collection

from evals.metrics import mean_step_metrics
from pipelines import CallStatus
from pipelines.storage import RunStore


def output_tokens(store: RunStore, run_id: str) -> dict[tuple[str, str], list[int]]:
    """(item id, node id) -> completion tokens of each successful call, in call order."""
    tokens: dict[tuple[str, str], list[int]] = defaultdict(list)
    for call in store.calls(run_id):
        if call.status == CallStatus.OK:
            tokens[(call.item_id, call.node)].append(int(call.completion_tokens or 0))
    return tokens


def step_metrics(store: RunStore, run_id: str,
                 item_ids: Collection[str] | None = None) -> list[dict[str, Any]]:
    """One row per step: `step`, `items`, mean over items of mean_acc / majority_acc /
    pass_at_n, and mean / median output tokens over every member of every population.

    `item_ids` restricts the rows to those items (e.g. the ones that finished).
    """
    if not store.exists():
        return []
    tokens = output_tokens(store, run_id)
    per_step: dict[Any, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for item_id, nodes in store.outputs(run_id).items():
        if item_ids is not None and item_id not in item_ids:
            continue
        for value in nodes.values():
            if isinstance(value, dict) and "score_of" in value and "mean_acc" in value:
                per_step[value["step"]].append((item_id, value))
    rows = []
    for step in sorted(per_step, key=lambda s: (not isinstance(s, (int, float)), s)):
        scored = per_step[step]
        pooled = [t for item_id, value in scored for t in tokens.get((item_id, value["score_of"]), ())]
        rows.append({"step": step, **mean_step_metrics([v for _, v in scored], pooled)})
    return rows
