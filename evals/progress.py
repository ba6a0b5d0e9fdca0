"""Suite-level progress: a line when each cell starts (where the whole suite stands: calls of
the plan done, $ spent, ETA) and one when it ends (the cell's accuracy and cost).

Each cell's run shows its own live line in between (`pipelines.execution.progress`); these lines
are the suite's view, in the same formats (`format_usd`, `format_eta`). The ETA is the calls the
plan still has to make divided by the rate at which this process has been answering calls; it
appears once the first cell has made a call.
"""

from __future__ import annotations

import time
from typing import Callable

from evals.results import ResultRow
from evals.suite import Cell, SuitePlan
from pipelines import Accuracy, RunResult, format_usd
from pipelines.execution.progress import format_eta

Echo = Callable[[str], None]


class SuiteProgress:
    """Writes the suite's progress lines through `echo` (stderr in the CLI)."""

    def __init__(self, plan: SuitePlan, echo: Echo, clock: Callable[[], float] = time.monotonic):
        self.plan, self.echo, self.clock = plan, echo, clock
        self.started = clock()
        self.answered = 0
        """Calls answered in this process (sent, cached or failed), what the rate counts."""

    def eta_s(self, calls_done: int) -> float | None:
        """Seconds left at this process's call rate; None before it has answered a call."""
        elapsed = self.clock() - self.started
        if self.answered == 0 or elapsed <= 0:
            return None
        return max(0, self.plan.planned_calls - calls_done) / (self.answered / elapsed)

    def cell_started(self, index: int, cell: Cell, calls_done: int, spent_usd: float) -> None:
        """`[3/14] rsa N=2 K=2 T=1 · qa (suite: 24/180 calls, $0.0012, ETA 42s)`."""
        total = len(self.plan.cells)
        name = " ".join(part for part in (cell.recipe, cell.label) if part)
        self.echo(f"[{index + 1}/{total}] {name} · {cell.dataset} (suite: {calls_done:,}/"
                  f"{self.plan.planned_calls:,} calls, {format_usd(spent_usd)}, "
                  f"ETA {format_eta(self.eta_s(calls_done))})")

    def cell_finished(self, result: RunResult, row: ResultRow) -> None:
        """`  2/3 correct = 66.7% (95% CI 20.8-93.9%) · $0.000123 · run 20261202-...`."""
        if result.stats is not None:
            self.answered += result.stats.calls + result.stats.errors
        failed = "" if row.status == "ok" else f" · {row.status}"
        self.echo(f"  {Accuracy(row.correct, row.items)} · {format_usd(row.spent_usd)}"
                  f"{failed} · run {row.run_id}")
