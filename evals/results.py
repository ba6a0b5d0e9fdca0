"""One cell of an eval suite's results: what it scored, what it cost, its per-step metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.metrics import accuracy_per_dollar, wilson_interval


@dataclass
class ResultRow:
    """One (recipe, params, dataset) cell of a suite."""

    recipe: str
    params: str
    """The grid point as `K=V` pairs, e.g. `N=8 K=4 T=2`."""
    dataset: str
    items: int
    correct: int
    usd: float | None
    """What the cell's calls cost priced as if served fresh (cache hits too); None when any
    call's price is unknown. Accuracy per $ and the Pareto frontier use this."""
    prompt_tokens: int
    completion_tokens: int
    calls: int
    wall_s: float
    run_id: str = ""
    status: str = "ok"
    """The run's status: ok | failed (some items failed; they count as wrong) | budget."""
    spent_usd: float | None = None
    """What was actually billed (cache hits and resumed calls are free)."""
    steps: list[dict[str, Any]] = field(default_factory=list)
    """Per-step means from `evals.metrics.mean_step_metrics`, each with its `step` number."""
    settings: dict[str, Any] = field(default_factory=dict)
    """What the run was given: recipe file, model, endpoint and every param (defaults
    included). `pipe eval --compare` names the ones that differ between two runs."""

    @property
    def accuracy(self) -> float:
        """Fraction of items answered correctly (0 when there are no items)."""
        return self.correct / self.items if self.items else 0.0

    @property
    def ci(self) -> tuple[float, float]:
        """95% Wilson interval of the accuracy."""
        return wilson_interval(self.correct, self.items)

    @property
    def acc_per_usd(self) -> float | None:
        """Accuracy per $ (None when the cost is unknown or zero)."""
        return accuracy_per_dollar(self.accuracy, self.usd)

    @property
    def key(self) -> tuple[str, str, str]:
        """(recipe, params, dataset): what `compare_reports` matches rows by."""
        return self.recipe, self.params, self.dataset


def run_settings(run: dict[str, Any]) -> dict[str, Any]:
    """A stored run's recipe file, model, endpoint and params, as one flat mapping."""
    return {"recipe_file": Path(run["recipe_path"]).name, "model": run["model"],
            "endpoint": run["endpoint"], **run["params"]}
