"""`pipe show`'s `stops` section: which items a repeat's `stop_when` stopped early, and after
which step (registered as the `stops` entry of `pipe.show_sections` in pyproject.toml)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pipelines.storage import RunStore


def stopped_items(store: RunStore, run_id: str) -> dict[str, Any] | None:
    """`{items, after_step: {step: items}, skipped_nodes}` over the run's stop gates, or None
    when no item stopped. Step 1 is the first population (a gate before repetition r saw the
    population of step r); the nodes an item skipped were never run and are not errors."""
    after: Counter = Counter()
    skipped = 0
    for _item, _node, value in store.iter_outputs(run_id):  # a page at a time
        if not isinstance(value, dict):
            continue
        if value.get("stop") is True and "repetition" in value:
            after[int(value["repetition"])] += 1
        skipped += "skipped" in value and "repetition" in value
    if not after:
        return None
    return {"items": sum(after.values()), "after_step": dict(sorted(after.items())),
            "skipped_nodes": skipped}
