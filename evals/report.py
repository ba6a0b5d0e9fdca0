"""Eval reports: a Markdown table, CSVs and PNG plots in a folder; diff of two reports.

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
from pathlib import Path
from typing import Any, Sequence

from evals.plots import plot_accuracy_vs_cost, plot_accuracy_vs_step
from evals.results import ResultRow
from pipelines import InputError

CSV_FIELDS = ("recipe", "params", "dataset", "items", "correct", "accuracy", "ci_low", "ci_high",
              "usd", "acc_per_usd", "spent_usd", "prompt_tokens", "completion_tokens", "calls",
              "wall_s", "status", "run_id")
STEP_FIELDS = ("step", "mean_acc", "majority_acc", "pass_at_n", "mean_tokens", "median_tokens")


def csv_record(row: ResultRow) -> dict[str, Any]:
    """One `report.csv` record (CSV_FIELDS); unknown prices are empty cells."""
    low, high = row.ci
    return {
        **{f.name: getattr(row, f.name) for f in dataclasses.fields(row) if f.name != "steps"},
        "accuracy": row.accuracy, "ci_low": low, "ci_high": high,
        "usd": "" if row.usd is None else row.usd,
        "spent_usd": "" if row.spent_usd is None else row.spent_usd,
        "acc_per_usd": "" if row.acc_per_usd is None else row.acc_per_usd,
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


def read_report_csv(folder: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    """A written report's rows by (recipe, params, dataset); InputError if there is none."""
    path = folder / "report.csv"
    if not path.is_file():
        raise InputError(f"no eval report at {path}\n    fix: pass the folder `pipe eval` wrote")
    with open(path, newline="") as src:
        return {(r["recipe"], r["params"], r["dataset"]): r for r in csv.DictReader(src)}


def compare_reports(folder_a: Path, folder_b: Path) -> str:
    """Markdown diff of two reports: accuracy and $ side by side with B − A, per shared cell."""
    a, b = read_report_csv(folder_a), read_report_csv(folder_b)
    lines = [f"# {folder_a.name} (A) vs {folder_b.name} (B)\n",
             "| recipe | params | dataset | acc A | acc B | Δ acc | $ A | $ B | Δ $ |",
             "|---|---|---|---|---|---|---|---|---|"]
    for key in [k for k in a if k in b]:
        acc_a, acc_b = float(a[key]["accuracy"]), float(b[key]["accuracy"])
        usd_a, usd_b = _opt_float(a[key]["usd"]), _opt_float(b[key]["usd"])
        delta_usd = None if usd_a is None or usd_b is None else usd_b - usd_a
        lines.append(f"| {' | '.join(key)} | {acc_a:.3f} | {acc_b:.3f} | {acc_b - acc_a:+.3f} "
                     f"| {_money(usd_a)} | {_money(usd_b)} | {_money(delta_usd, signed=True)} |")
    for label, only in (("A", [k for k in a if k not in b]), ("B", [k for k in b if k not in a])):
        if only:
            lines.append(f"\nOnly in {label}: " + "; ".join(" ".join(k) for k in only))
    return "\n".join(lines) + "\n"


def _opt_float(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def _money(usd: float | None, signed: bool = False) -> str:
    if usd is None:
        return "—"
    return f"{usd:+.6f}" if signed else f"{usd:.6f}"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"
