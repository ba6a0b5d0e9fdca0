"""`pipe eval --compare A B`: two suite reports side by side, cell by cell (or two runs).

For each cell both reports have (same recipe, grid point and dataset): the two accuracies as
correct/items, the difference B - A with its 95% Newcombe interval and whether it is
significant; then a second table with the $ of each and their ratio. Above the tables, the
settings that differ between the two runs of every shared cell (a model, a param such as
max_tokens); under them, cells whose settings differ in other ways, and cells only one report
has.

The rule: a difference is significant (5% level, two-sided) when its 95% Newcombe interval
(`evals.metrics.newcombe_interval`) excludes 0. Items are treated as independent samples, which
is conservative when both runs used the same items.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.metrics import newcombe_interval
from evals.results import run_settings
from pipelines import InputError, format_usd

Key = tuple[str, str, str]
ACCURACY_HEAD = ("| cell | A | B | B − A (95% CI) | significant |\n"
                 "|---|---|---|---|---|")
COST_HEAD = "| cell | $ A | $ B | B / A |\n|---|---|---|---|"
RULE = ("significant: the 95% Newcombe interval of B − A excludes 0 (two-sided, 5% level; "
        "items counted as independent samples)")


@dataclass(frozen=True)
class Difference:
    """B − A for one cell: accuracy difference with its 95% interval."""

    correct_a: int
    items_a: int
    correct_b: int
    items_b: int

    @property
    def interval(self) -> tuple[float, float, float]:
        """(B − A, low, high)."""
        return newcombe_interval(self.correct_a, self.items_a, self.correct_b, self.items_b)

    @property
    def significant(self) -> bool:
        _, low, high = self.interval
        return low > 0 or high < 0


def read_report_csv(folder: Path) -> dict[Key, dict[str, str]]:
    """A written report's rows by (recipe, params, dataset); InputError if there is none."""
    path = folder / "report.csv"
    if not path.is_file():
        raise InputError(f"no eval report at {path}\n    fix: pass the folder `pipe eval` wrote")
    with open(path, newline="") as src:
        return {(r["recipe"], r["params"], r["dataset"]): r for r in csv.DictReader(src)}


def settings_of(record: dict[str, str]) -> dict[str, Any] | None:
    """A report row's settings (None for reports written before they were recorded)."""
    text = record.get("settings")
    return json.loads(text) if text else None


MISSING = "—"
"""How a setting one side does not have is shown."""


def settings_diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """name -> (value in A, value in B) for every setting whose values differ."""
    return {name: (a.get(name, MISSING), b.get(name, MISSING)) for name in sorted({*a, *b})
            if name not in a or name not in b or a[name] != b[name]}


def describe(diff: dict[str, tuple[Any, Any]]) -> str:
    """`max_tokens 64 → 128; model a → b`."""
    def show(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value)
    return "; ".join(f"{name} {show(a)} → {show(b)}" for name, (a, b) in diff.items())


def compare_reports(folder_a: Path, folder_b: Path) -> str:
    """Markdown: settings that differ, then per shared cell accuracy A, B, B − A (95% CI),
    significance and $; cells only one side has. See the module docstring for the rule."""
    a, b = read_report_csv(folder_a), read_report_csv(folder_b)
    shared = [k for k in a if k in b]
    diffs = {k: _cell_settings_diff(a[k], b[k]) for k in shared}
    known = [d for d in diffs.values() if d is not None]
    common = {name: values for name, values in (known[0] if known else {}).items()
              if all(d.get(name) == values for d in known)}
    out = [f"# {folder_a.name} (A) vs {folder_b.name} (B)", "", _settings_line(common, known), ""]
    if shared:
        out += [ACCURACY_HEAD, *(_row(_name(k), a[k], b[k]) for k in shared), "",
                COST_HEAD, *(_cost_row(_name(k), a[k], b[k]) for k in shared), ""]
    other = [f"- {_name(k)} also: {describe(_without(d, common))}"
             for k, d in diffs.items() if d and _without(d, common)]
    if other:
        out += ["Cells whose settings differ in other ways:", *other, ""]
    for label, only in (("A", [k for k in a if k not in b]), ("B", [k for k in b if k not in a])):
        if only:
            out += [f"Only in {label}: " + "; ".join(_name(k) for k in only), ""]
    return "\n".join(out + [RULE + "."]) + "\n"


def compare_runs(run_a: dict[str, Any], run_b: dict[str, Any]) -> str:
    """Markdown: two stored runs (two cells of a suite, or any two runs with gold answers),
    their settings that differ and B − A as in `compare_reports`. Accuracy is the run's own
    (scored by its recipe's extractor and equivalence when it finished)."""
    for run in (run_a, run_b):
        if not run.get("scored"):
            raise InputError(f"run {run['run_id']} has no scored items (its dataset has no gold "
                             "answers, or no item finished); nothing to compare")
    diff = settings_diff(run_settings(run_a), run_settings(run_b))
    record = {"recipe": "", "params": "", "dataset": ""}
    a, b = ({**record, "correct": str(r["correct"]), "items": str(r["scored"]),
             "usd": "" if r.get("usd") is None else str(r["usd"])} for r in (run_a, run_b))
    name = (run_a["recipe_name"] if run_a["recipe_name"] == run_b["recipe_name"]
            else f"{run_a['recipe_name']} → {run_b['recipe_name']}")
    return "\n".join([
        f"# run {run_a['run_id']} (A) vs run {run_b['run_id']} (B)", "",
        f"Settings that differ: {describe(diff)}." if diff else "Settings: the same.", "",
        ACCURACY_HEAD.replace("| cell |", "| run |"), _row(name, a, b), "",
        COST_HEAD.replace("| cell |", "| run |"), _cost_row(name, a, b), "",
        RULE + "."]) + "\n"


def _cell_settings_diff(a: dict[str, str], b: dict[str, str]) -> dict[str, tuple[Any, Any]] | None:
    sa, sb = settings_of(a), settings_of(b)
    return None if sa is None or sb is None else settings_diff(sa, sb)


def _without(diff: dict[str, tuple[Any, Any]], common: dict[str, tuple[Any, Any]]
             ) -> dict[str, tuple[Any, Any]]:
    return {k: v for k, v in diff.items() if k not in common}


def _settings_line(common: dict[str, tuple[Any, Any]], known: list[Any]) -> str:
    if not known:
        return "Settings: not recorded (reports written by an older pipe, or no shared cell)."
    if not common:
        return "Settings: the same in A and B for the cells both have."
    return f"Settings that differ in every shared cell: {describe(common)}."


def _name(key: Key) -> str:
    recipe, params, dataset = key
    return " ".join(p for p in (recipe, params) if p) + f" · {dataset}"


def _row(name: str, a: dict[str, str], b: dict[str, str]) -> str:
    diff = Difference(int(a["correct"]), int(a["items"]), int(b["correct"]), int(b["items"]))
    delta, low, high = diff.interval
    return (f"| {name} | {a['correct']}/{a['items']} | {b['correct']}/{b['items']} "
            f"| {delta:+.3f} [{low:+.3f}, {high:+.3f}] | {'yes' if diff.significant else 'no'} |")


def _cost_row(name: str, a: dict[str, str], b: dict[str, str]) -> str:
    usd_a, usd_b = (float(r["usd"]) if r.get("usd") not in ("", None) else None for r in (a, b))
    ratio = f"×{usd_b / usd_a:.2f}" if usd_a and usd_b is not None else "—"
    return f"| {name} | {_usd(usd_a)} | {_usd(usd_b)} | {ratio} |"


def _usd(usd: float | None) -> str:
    return "unknown" if usd is None else format_usd(usd)
