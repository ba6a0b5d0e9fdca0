"""Eval reports: a Markdown table, CSVs and PNG plots in a folder (`evals.compare` diffs two).

Files written by `write_report(folder, rows)`:
  report.md   the table (and links to the plots)
  report.csv  one row per (recipe, params, dataset)
  steps.csv   per-step population metrics of every row that has steps (RSA curves)
  accuracy_vs_cost.png  accuracy vs $ per dataset, Pareto frontier marked
  accuracy_vs_step.png  accuracy vs RSA step per dataset (only when some row has 2+ steps)
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path
from typing import Any, Sequence

from evals.plots import plot_accuracy_vs_cost, plot_accuracy_vs_step
from evals.results import ResultRow
from pipelines import format_usd

CSV_FIELDS = ("recipe", "params", "dataset", "items", "correct", "accuracy", "ci_low", "ci_high",
              "usd", "acc_per_usd", "spent_usd", "prompt_tokens", "completion_tokens", "calls",
              "wall_s", "status", "run_id", "settings")
"""`settings` is JSON: the run's recipe file, model, endpoint and params (what --compare diffs)."""
STEP_FIELDS = ("step", "mean_acc", "majority_acc", "pass_at_n", "mean_tokens", "median_tokens")


def csv_record(row: ResultRow) -> dict[str, Any]:
    """One `report.csv` record (CSV_FIELDS); unknown prices are empty cells."""
    low, high = row.ci
    return {
        **{f.name: getattr(row, f.name) for f in dataclasses.fields(row)
           if f.name not in ("steps", "settings")},
        "accuracy": row.accuracy, "ci_low": low, "ci_high": high,
        "usd": "" if row.usd is None else row.usd,
        "spent_usd": "" if row.spent_usd is None else row.spent_usd,
        "acc_per_usd": "" if row.acc_per_usd is None else row.acc_per_usd,
        "settings": json.dumps(row.settings, sort_keys=True),
    }


def markdown_table(rows: Sequence[ResultRow]) -> str:
    """The report's main table: accuracy with its 95% CI, $, acc/$, tokens, calls, wall time."""
    head = ("| recipe | params | dataset | accuracy (95% CI) | $ | acc/$ | tokens in/out | calls "
            "| wall s | status |\n|---|---|---|---|---|---|---|---|---|---|\n")
    lines = []
    for r in rows:
        low, high = r.ci
        lines.append(
            f"| {r.recipe} | {r.params} | {r.dataset} | {r.accuracy:.3f} [{low:.3f}, {high:.3f}] "
            f"| {_money(r.usd)} | {_number(r.acc_per_usd)} | {r.prompt_tokens}/{r.completion_tokens} "
            f"| {r.calls} | {r.wall_s:.1f} | {r.status} |"
        )
    return head + "\n".join(lines) + "\n"


def steps_table(rows: Sequence[ResultRow]) -> str:
    """Per-step population metrics of every row that has steps (the RSA curves), as Markdown."""
    head = ("| recipe | params | dataset | step | mean acc | majority acc | pass@N | mean tok "
            "| median tok |\n|---|---|---|---|---|---|---|---|---|\n")
    lines = [
        f"| {r.recipe} | {r.params} | {r.dataset} | {s['step']} | {s['mean_acc']:.3f} "
        f"| {s['majority_acc']:.3f} | {s['pass_at_n']:.3f} | {_number(s.get('mean_tokens'))} "
        f"| {_number(s.get('median_tokens'))} |"
        for r in rows for s in r.steps
    ]
    return head + "\n".join(lines) + "\n"


def write_report(folder: Path, rows: Sequence[ResultRow], title: str = "Eval report") -> Path:
    """Write every report file into `folder`; returns the Markdown file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "report.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(csv_record(r) for r in rows)
    with open(folder / "steps.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=("recipe", "params", "dataset", *STEP_FIELDS),
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows({"recipe": r.recipe, "params": r.params, "dataset": r.dataset, **s}
                         for r in rows for s in r.steps)
    parts = [f"# {title}\n", markdown_table(rows)]
    if plot_accuracy_vs_cost(rows, folder / "accuracy_vs_cost.png"):
        parts.append("![accuracy vs $](accuracy_vs_cost.png)\n")
    if any(r.steps for r in rows):
        parts += ["## Per step\n", steps_table(rows)]
    if plot_accuracy_vs_step(rows, folder / "accuracy_vs_step.png"):
        parts.append("![accuracy vs step](accuracy_vs_step.png)\n")
    path = folder / "report.md"
    path.write_text("\n".join(parts))
    return path


def _money(usd: float | None) -> str:
    return "—" if usd is None else format_usd(usd)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"
