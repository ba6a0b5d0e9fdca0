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


def output_tokens(store: RunStore, run_id: str, keys: Collection[tuple[str, str]] | None = None
                  ) -> dict[tuple[str, str], list[int]]:
    """(item id, node id) -> completion tokens of each successful call, in call order (only
    for `keys` when given); the calls are read a page at a time."""
    tokens: dict[tuple[str, str], list[int]] = defaultdict(list)
    for call in store.iter_calls(run_id, columns="item_id, node, status, completion_tokens"):
        key = (call["item_id"], call["node"])
        if call["status"] == CallStatus.OK and (keys is None or key in keys):
            tokens[key].append(int(call["completion_tokens"] or 0))
    return tokens


def step_metrics(store: RunStore, run_id: str,
                 item_ids: Collection[str] | None = None) -> list[dict[str, Any]]:
    """One row per step: `step`, `items`, mean over items of mean_acc / majority_acc /
    pass_at_n, and mean / median output tokens over every member of every population.

    `item_ids` restricts the rows to those items (e.g. the ones that finished). Outputs and
    calls are read a page at a time; only score outputs and their nodes' tokens are kept.
    """
    if not store.exists():
        return []
    per_step: dict[Any, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for item_id, _node, value in store.iter_outputs(run_id):
        if item_ids is not None and item_id not in item_ids:
            continue
        if isinstance(value, dict) and "score_of" in value and "mean_acc" in value:
            per_step[value["step"]].append((item_id, value))
    if not per_step:  # no score nodes: no calls to read
        return []
    tokens = output_tokens(store, run_id, {(i, v["score_of"]) for s in per_step.values()
                                           for i, v in s})
    rows = []
    for step in sorted(per_step, key=lambda s: (not isinstance(s, (int, float)), s)):
        scored = per_step[step]
        pooled = [t for item_id, value in scored for t in tokens.get((item_id, value["score_of"]), ())]
        rows.append({"step": step, **mean_step_metrics([v for _, v in scored], pooled)})
    return rows
