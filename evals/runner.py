"""Run a suite: every cell through `pipelines.run`, resumable, under one budget; then a report
whose every number is recomputed from the run store.

A suite run lives in `STORE/evals/SUITE_ID/`: `suite.json` (which run each cell is) and the
report files (`evals.report`). Resuming re-validates the suite, skips cells whose run finished
ok and resumes the others under their run ids, so no completed call is repeated or re-billed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pipelines
from evals.progress import Echo, SuiteProgress
from evals.report import ResultRow, write_report
from evals.results import run_settings
from evals.scoring.score import is_correct, score_answer
from evals.steps import step_metrics
from evals.suite import Cell, SuitePlan, load_suite
from pipelines import CallRow, CallStatus, ExitCode, InputError, ItemStatus, RunOptions, RunStatus
from pipelines.storage import RunStore, new_run_id

MANIFEST = "suite.json"


OnCell = Callable[[Cell, int, int, str], None]
"""Called after each cell's run: (cell, its index, how many cells, the cell's run id)."""


@dataclass
class SuiteRun:
    """How a suite run ended, and its report's rows."""

    suite_id: str
    folder: Path
    status: RunStatus
    """ok | failed (some cell had failed items) | budget (--max-cost reached)"""
    exit_code: ExitCode
    rows: list[ResultRow]


def suite_folder(store: str | Path, suite_id: str) -> Path:
    """The folder of suite run `suite_id` in `store`; InputError if there is none."""
    folder = Path(store) / "evals" / suite_id
    if not (folder / MANIFEST).is_file():
        raise InputError(f"no suite run {suite_id!r} in {Path(store) / 'evals'} "
                         "(fix: pass the id printed by `pipe eval`)")
    return folder


def run_suite(path: str | Path | None = None, options: RunOptions | None = None, *,
              resume: str | None = None, limit: int | None = None,
              on_cell: OnCell | None = None, echo: Echo | None = None) -> SuiteRun:
    """Validate the whole suite, then run its cells in order.

    `options` apply to every cell's run: `max_cost` bounds the whole suite (on resume, None keeps
    the budget the suite started with); `endpoint` and `model`, when None, fall back to the
    suite's own and then each recipe's. `options.resume` and `options.dataset` are set per cell by
    the suite. `resume` is a suite id (as printed by `pipe eval`) to continue instead of `path`.
    `limit` runs only the first `limit` items of each dataset (a resume keeps the suite's own).
    `echo`, when given, receives the suite's progress lines (`evals.progress`).
    """
    options = options or RunOptions()
    store = Path(options.store)
    max_cost = options.max_cost
    if resume is not None:
        folder = suite_folder(store, resume)
        manifest = json.loads((folder / MANIFEST).read_text())
        path = manifest["suite_path"]
        max_cost = max_cost if max_cost is not None else manifest["max_cost"]
        limit = _resumed_limit(manifest, limit)
    elif path is None:
        raise InputError("give a SUITE file or --resume SUITE_ID")
    plan = load_suite(path, limit)  # every check, before anything is spent
    if resume is None:
        suite_id = f"{plan.spec.name}-{new_run_id()}"
        folder = store / "evals" / suite_id
        manifest = {"suite_id": suite_id, "suite_path": str(Path(path).resolve()),
                    "max_cost": max_cost, "limit": limit, "created_at": time.time(), "cells": {}}
    folder.mkdir(parents=True, exist_ok=True)
    cell_options = options.but(
        endpoint=options.endpoint if options.endpoint is not None else plan.spec.endpoint,
        model=options.model or plan.spec.model, store=store, max_cost=max_cost)
    progress = SuiteProgress(plan, echo) if echo else None
    runner = _Runner(plan, manifest, folder, cell_options, on_cell, progress)
    try:
        status = runner.run_cells()
        rows = result_rows(plan, manifest, runner.runs)
    finally:
        runner.runs.close()
    limited = f", first {limit} items of each dataset" if limit else ""
    write_report(folder, rows, title=f"{plan.spec.name} ({manifest['suite_id']}{limited})")
    return SuiteRun(manifest["suite_id"], folder, status, status.exit_code, rows)


def _resumed_limit(manifest: dict, limit: int | None) -> int | None:
    """The suite's own --limit; a different one would mix cells scored on different items."""
    started = manifest.get("limit")
    if limit is not None and limit != started:
        raise InputError(f"suite {manifest['suite_id']} was started with "
                         f"{'--limit ' + str(started) if started else 'no --limit'}; resume it "
                         f"without --limit (or with the same one), or start a new suite run")
    return started


class _Runner:
    """Runs a suite's cells one after another, recording each cell's run id in the manifest."""

    def __init__(self, plan: SuitePlan, manifest: dict, folder: Path, options: RunOptions,
                 on_cell: OnCell | None, progress: SuiteProgress | None):
        self.plan, self.manifest, self.folder = plan, manifest, folder
        self.options, self.on_cell, self.progress = options, on_cell, progress
        self.runs = RunStore(options.store)

    def save(self) -> None:
        """Write the manifest (after every change: a kill loses nothing it knew)."""
        (self.folder / MANIFEST).write_text(json.dumps(self.manifest, indent=2))

    def run_cells(self) -> RunStatus:
        """Run (or resume) every cell not yet ok; stop at the first one that hits the budget."""
        status = RunStatus.OK
        max_cost = self.options.max_cost
        for index, cell in enumerate(self.plan.cells):
            entry = self.manifest["cells"].setdefault(cell.key, {})
            run_id = entry.get("run_id") or self._started_run(cell, entry)
            if run_id and (self.runs.run(run_id) or {}).get("status") == RunStatus.OK:
                continue
            remaining = None if max_cost is None else max_cost - self.spent()
            if remaining is not None and remaining <= 0:
                return RunStatus.BUDGET
            entry["started_at"] = entry.get("started_at") or time.time()
            self.save()
            if self.progress:
                calls, usd = self.totals()
                self.progress.cell_started(index, cell, calls, usd)
            # a resumed run's budget counts what it spent itself: give it the rest of the
            # suite's budget plus its own spend, so that spend is not counted twice
            budget = None if remaining is None else remaining + self._recorded(run_id)
            result = pipelines.run(cell.recipe_path, cell.params, self.options.but(
                dataset=cell.dataset_options, resume=run_id, max_cost=budget))
            entry.update(run_id=result.run_id, status=str(result.status))
            self.save()
            if self.progress:
                self.progress.cell_finished(result, cell_row(
                    self.runs, cell, result.run_id, self.plan.items[cell.dataset]))
            if self.on_cell:
                self.on_cell(cell, index, len(self.plan.cells), result.run_id)
            if result.status == RunStatus.BUDGET:
                return RunStatus.BUDGET
            if result.status == RunStatus.FAILED:
                status = RunStatus.FAILED
        return status

    def _started_run(self, cell: Cell, entry: dict) -> str | None:
        """The run of a cell that was interrupted before its run id reached the manifest."""
        if "started_at" not in entry:
            return None
        wanted = json.loads(json.dumps(cell.params))
        for run in reversed(self.runs.runs()):  # oldest first
            if (run["created_at"] >= entry["started_at"] - 1 and run["overrides"] == wanted
                    and run["recipe_path"] == str(cell.recipe_path)):
                return run["run_id"]
        return None

    def _recorded(self, run_id: str | None) -> float:
        """USD recorded by one cell's run so far (0 before it started)."""
        return sum(c.cost_usd or 0.0 for c in self.runs.calls(run_id)) if run_id else 0.0

    def spent(self) -> float:
        """USD billed so far by every cell's run."""
        return self.totals()[1]

    def totals(self) -> tuple[int, float]:
        """(calls completed, USD billed) so far by every cell's run."""
        run_ids = [e["run_id"] for e in self.manifest["cells"].values() if e.get("run_id")]
        calls = [c for r in run_ids for c in self.runs.calls(r)]
        return (sum(c.status == CallStatus.OK for c in calls),
                sum(c.cost_usd or 0.0 for c in calls))


def result_rows(plan: SuitePlan, manifest: dict, run_store: RunStore) -> list[ResultRow]:
    """One row per cell that has a run, every figure recomputed from the run store."""
    rows = []
    for cell in plan.cells:
        run_id = manifest["cells"].get(cell.key, {}).get("run_id")
        if run_id and run_store.run(run_id):
            rows.append(cell_row(run_store, cell, run_id, plan.items[cell.dataset]))
    return rows


def cell_row(store: RunStore, cell: Cell, run_id: str, items: list[dict[str, Any]]) -> ResultRow:
    """Accuracy of the recipe's `answer` output against gold; $, tokens, calls from the stored
    calls. `usd` prices every call as if served fresh (cache hits included), so methods compare
    the same whether or not a cache helped; `spent_usd` is what was actually billed."""
    by_id = {str(i["id"]): i for i in items}
    ran = [r for r in store.items(run_id) if r["status"] in (ItemStatus.OK, ItemStatus.FAILED)]
    ok = [r for r in ran if r["status"] == ItemStatus.OK]
    correct = sum(is_correct(score_answer(by_id[r["item_id"]], (r["outputs"] or {}).get("answer")))
                  for r in ok)
    calls = [c for c in store.calls(run_id) if c.status == CallStatus.OK]
    run = store.run(run_id)
    return ResultRow(
        recipe=cell.recipe, params=cell.label, dataset=cell.dataset, items=len(ran),
        correct=correct, usd=_total(calls, "would_cost_usd"), spent_usd=_total(calls, "cost_usd"),
        prompt_tokens=sum(c.prompt_tokens or 0 for c in calls),
        completion_tokens=sum(c.completion_tokens or 0 for c in calls), calls=len(calls),
        wall_s=(run["finished_at"] or run["created_at"]) - run["created_at"], run_id=run_id,
        status=run["status"], steps=step_metrics(store, run_id, {r["item_id"] for r in ok}),
        settings=run_settings(run))


def _total(calls: list[CallRow], column: str) -> float | None:
    """Sum of a price column; None (unknown) if any call's price is unknown."""
    values = [getattr(c, column) for c in calls]
    return None if any(v is None for v in values) else float(sum(values))
