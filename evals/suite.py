"""Eval suite files: datasets x recipes x a grid of params, expanded into cells and fully
validated (recipes, datasets, every grid point) before anything is spent.

```yaml
name: embedded_arith
datasets:                        # name -> options of a dataset source (as in a recipe)
  arith: {source: arith, size: 20, seed: 7}
  chain_sum: {source: reasoning_gym, task: chain_sum, size: 10, seed: 1}
  mine: {source: data/qa.jsonl}  # path relative to this file
recipes:                         # name -> recipe path (relative to this file), or a mapping
  single: ../recipes/single.yaml
  rsa: {path: ../recipes/rsa_math.yaml, grid: {T: [1, 2, 4]}}
params: {max_tokens: 160}        # fixed params, for every recipe that declares them
grid: {N: [4, 8], K: [2, 4]}     # each recipe gets the product of the keys it declares
```
A dataset may set recipe params of its own under `params:`; reasoning-gym datasets imply
`answer_format: answer_tag` and `equivalence: normalized`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

import pipelines
from pipelines import InputError, Issue, Plan, RecipeError
from pipelines.execution.progress import planned_calls
from pipelines.recipe.datasets import check_dataset, load_items
from pipelines.recipe.plan_builder import build_plan
from pipelines.recipe.schema import Strict
from pipelines.recipe.source import Source, load_yaml

SOURCE_PARAMS: dict[str, dict[str, Any]] = {
    "reasoning_gym": {"answer_format": "answer_tag", "equivalence": "normalized"},
}
"""Recipe params a dataset source implies (the answer format its questions ask for)."""


class DatasetEntry(BaseModel):
    """A dataset: the options of a dataset source, plus recipe params it implies."""

    model_config = ConfigDict(extra="allow")
    source: str
    """A registered source name (arith, reasoning_gym, ...) or a .jsonl path."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Recipe params set for runs on this dataset (only where the recipe declares them)."""


class RecipeEntry(Strict):
    """A recipe to compare, with params and grid of its own."""

    path: str
    """Recipe YAML, relative to the suite file."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Fixed params for this recipe (over the suite's `params`)."""
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    """Grid for this recipe (replaces the suite grid's values for these keys)."""


class SuiteSpec(Strict):
    """The top level of a suite YAML file."""

    name: str
    """Short identifier, used in the report folder's name."""
    description: str = ""
    """What the suite compares, for humans."""
    endpoint: str | dict[str, Any] | None = None
    """Endpoint for every run (default: each recipe's own); `--endpoint` overrides it."""
    model: str | None = None
    """Model for every run (default: each recipe's own); `--model` overrides it."""
    datasets: dict[str, DatasetEntry]
    """Dataset name -> source options."""
    recipes: dict[str, str | RecipeEntry]
    """Recipe name -> path, or {path, params, grid}."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Fixed params for every recipe that declares them."""
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    """Param name -> values; each recipe runs the product of the keys it declares."""


@dataclass(frozen=True)
class Cell:
    """One (recipe, grid point, dataset) run of a suite."""

    recipe: str
    recipe_path: Path
    dataset: str
    dataset_options: dict[str, Any]
    params: dict[str, Any]
    label: str
    """The grid point as `K=V` pairs, e.g. `N=8 K=4 T=2` (empty for a recipe without one)."""
    planned_calls: int = 0
    """Calls the cell's run makes over its items (what the suite's ETA counts down)."""

    @property
    def key(self) -> str:
        """`recipe | grid point | dataset`: the cell's name in the manifest and in progress."""
        return f"{self.recipe} | {self.label} | {self.dataset}"


@dataclass
class SuitePlan:
    """A validated suite: its spec, every cell, and every dataset's items."""

    path: Path
    spec: SuiteSpec
    cells: list[Cell]
    items: dict[str, list[dict[str, Any]]]
    """Dataset name -> its items, materialised once (scoring needs the gold answers)."""
    limit: int | None = None
    """At most this many items of each dataset (its first ones), as `pipe eval --limit`."""

    @property
    def planned_calls(self) -> int:
        return sum(cell.planned_calls for cell in self.cells)


def _spec(source: Source) -> SuiteSpec:
    try:
        return SuiteSpec.model_validate(source.data if isinstance(source.data, dict) else {})
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            message = {"extra_forbidden": f"unknown key {loc[-1]!r}" if loc else "",
                       "missing": f"missing required field {'.'.join(map(str, loc))!r}"
                       }.get(err["type"], err["msg"])
            issues.append(Issue(message, source.where(loc[:-1] if err["type"] == "missing" else loc),
                                f"see the field list in {__name__} (SuiteSpec)"))
        raise RecipeError(issues) from None


def load_suite(path: str | Path, limit: int | None = None) -> SuitePlan:
    """Parse, expand and validate a suite. Raises RecipeError / InputError before any spend.

    With `limit`, every cell runs on the first `limit` items of its dataset only (handed to
    the run as an inline dataset, so a resume sees the same items)."""
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1 item per dataset, got {limit}")
    path = Path(path)
    source = load_yaml(path)
    spec = _spec(source)
    issues: list[Issue] = []
    recipes = _recipes(spec, path.parent, source, issues)
    declared = {name: build_plan(p).params for name, (p, _) in recipes.items()}  # with defaults
    known = set().union(*declared.values()) if declared else set()
    for key in [*spec.params, *spec.grid]:
        if key not in known:
            issues.append(Issue(f"param {key!r} is not declared by any recipe of the suite",
                                source.where(("params" if key in spec.params else "grid", key)),
                                f"declared params: {sorted(known)}"))
    if issues:
        raise RecipeError(issues)
    items = {name: _items(name, entry, path.parent, source)[:limit]
             for name, entry in spec.datasets.items()}
    cells = []
    for name, (recipe_path, entry) in recipes.items():
        for point in _grid_points(spec, entry, declared[name], source, issues):
            for data_name, data in spec.datasets.items():
                cell = _cell(spec, name, recipe_path, entry, point, data_name, data,
                             path.parent, declared[name])
                if limit is not None:
                    cell = replace(cell, dataset_options={"source": "inline",
                                                          "items": items[data_name]})
                cells.append(cell)
    if issues:
        raise RecipeError(issues)
    cells = [replace(cell, planned_calls=planned_calls(_check_cell(cell), len(items[cell.dataset])))
             for cell in cells]
    return SuitePlan(path=path, spec=spec, cells=cells, items=items, limit=limit)


def _recipes(spec: SuiteSpec, base: Path, source: Source,
             issues: list[Issue]) -> dict[str, tuple[Path, RecipeEntry]]:
    found = {}
    for name, raw in spec.recipes.items():
        entry = RecipeEntry(path=raw) if isinstance(raw, str) else raw
        recipe_path = (base / entry.path).resolve()
        if not recipe_path.is_file():
            issues.append(Issue(f"recipe file {entry.path!r} not found (looked at {recipe_path})",
                                source.where(("recipes", name)), "fix the path (relative to the suite)"))
            continue
        found[name] = (recipe_path, entry)
    return found


def _grid_points(spec: SuiteSpec, entry: RecipeEntry, declared: dict[str, Any], source: Source,
                 issues: list[Issue]) -> list[dict[str, Any]]:
    grid = {k: v for k, v in {**spec.grid, **entry.grid}.items() if k in declared}
    points = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    for point in points:
        fixed = {**declared, **spec.params, **entry.params, **point}
        n, k = fixed.get("N"), fixed.get("K")
        if isinstance(n, int) and isinstance(k, int) and k > n:
            issues.append(Issue(f"grid point {_label(point)}: K={k} > N={n}; a group of K cannot "
                                 f"be drawn from a population of N", source.where(("grid", "K")),
                                 "keep every K value <= the smallest N"))
    return points


def _dataset_options(entry: DatasetEntry, base: Path) -> dict[str, Any]:
    options = entry.model_dump(exclude={"params"})
    for key in ("source", "path"):
        value = options.get(key)
        if isinstance(value, str) and value.endswith(".jsonl"):
            options[key] = str((base / value).resolve())
    return options


def _items(name: str, entry: DatasetEntry, base: Path, source: Source) -> list[dict[str, Any]]:
    where = f"{source.where(('datasets', name))}: dataset {name!r}"
    options = _dataset_options(entry, base)
    problem = check_dataset(options)
    if problem:
        raise InputError(f"{where}: {problem}")
    try:
        return load_items(options, base)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def _cell(spec: SuiteSpec, name: str, recipe_path: Path, entry: RecipeEntry,
          point: dict[str, Any], data_name: str, data: DatasetEntry, base: Path,
          declared: dict[str, Any]) -> Cell:
    implied = {**SOURCE_PARAMS.get(data.source, {}), **data.params}
    params = {k: v for k, v in {**spec.params, **implied, **entry.params, **point}.items()
              if k in declared}
    return Cell(recipe=name, recipe_path=recipe_path, dataset=data_name,
                dataset_options=_dataset_options(data, base), params=params, label=_label(point))


def _check_cell(cell: Cell) -> Plan:
    """The cell's validated plan (RecipeError naming the cell otherwise)."""
    try:
        plan = pipelines.validate(cell.recipe_path, cell.params, cell.dataset_options)
    except RecipeError as exc:
        raise RecipeError([Issue(f"[{cell.key}] {i.message}", i.where, i.fix)
                           for i in exc.issues]) from None
    if "answer" not in plan.outputs:
        raise RecipeError([Issue(f"recipe {cell.recipe} has no `answer` output to score",
                                 str(cell.recipe_path), "add outputs: {answer: ${vote.output.answer}}")])
    return plan


def _label(point: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in point.items())
