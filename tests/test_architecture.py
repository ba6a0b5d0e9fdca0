"""The package layering of docs/architecture.md, read from the source and enforced.

Every import counts: at module top, inside functions, under TYPE_CHECKING, and module paths
written as strings ("evals.scoring.extract:...") in code. Tests, benchmarks and scripts sit
above everything and are not checked.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = ("pipelines", "moe", "evals", "translators", "recipes")

# Which unit may import which. A unit is a top-level package, or a subpackage / top-level
# module of `pipelines`. Each entry lists the units it may import besides itself.
ENGINE_BASE = {"pipelines.errors", "pipelines.types", "pipelines.clock", "pipelines.plugins",
               "pipelines.figures"}
LAYERS: dict[str, set[str]] = {
    "moe": set(),
    "pipelines.errors": set(),
    "pipelines.types": {"pipelines.errors"},
    "pipelines.clock": set(),
    "pipelines.plugins": set(),
    "pipelines.figures": set(),
    "pipelines.options": ENGINE_BASE,
    "pipelines.storage": ENGINE_BASE,
    "pipelines.cost": ENGINE_BASE,  # reads runs.sqlite itself (`pipe cost bill` on any store)
    "pipelines.endpoints": ENGINE_BASE | {"moe"},
    "pipelines.sandbox": ENGINE_BASE,
    "pipelines.answers": ENGINE_BASE,
    "pipelines.nodes": ENGINE_BASE | {"pipelines.sandbox", "pipelines.answers"},
    "pipelines.recipe": ENGINE_BASE | {"pipelines.nodes", "pipelines.sandbox"},
    "pipelines.execution": ENGINE_BASE | {"pipelines.storage", "pipelines.cost", "pipelines.nodes",
                                          "pipelines.recipe", "pipelines.sandbox",
                                          "pipelines.answers"},  # accuracy scores with them
    "pipelines._api": ENGINE_BASE | {"pipelines.options", "pipelines.storage", "pipelines.cost",
                                     "pipelines.endpoints", "pipelines.recipe",
                                     "pipelines.execution"},
    "pipelines": ENGINE_BASE | {"pipelines._api", "pipelines.options", "pipelines.recipe"},
    "pipelines.cli": {"pipelines", "pipelines.plugins"},  # the public API and the command table
    "pipelines.batch": ENGINE_BASE | {"pipelines", "pipelines.cli", "pipelines.options", "pipelines.storage",
                                      "pipelines.cost", "pipelines.endpoints", "pipelines.nodes",
                                      "pipelines.recipe", "pipelines.execution"},
    "pipelines.proxy": ENGINE_BASE | {"pipelines", "pipelines.cli", "pipelines.storage",
                                      "pipelines.endpoints", "pipelines.execution"},
    "evals": {"pipelines"},
    "translators": {"pipelines"},
    "recipes": {"pipelines", "translators"},
}
MOE_GATE = "pipelines.endpoints.embedded"
"""The one engine module that may import `moe`."""
HEAVY_OPTIONAL = {"torch", "playwright", "matplotlib", "math_verify", "reasoning_gym", "skimage"}
"""Third-party imports that may be deferred into a function (with a comment saying why)."""
MODULE_STRING = re.compile(r"^(pipelines|moe|evals|translators)(\.\w+)+(:\w+)?$")


def unit_of(module: str) -> str:
    """`pipelines.recipe.plan` -> `pipelines.recipe`; `pipelines` -> `pipelines`; `moe.x` -> `moe`."""
    parts = module.split(".")
    if parts[0] != "pipelines" or len(parts) == 1:
        return parts[0]
    return f"pipelines.{parts[1]}"


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def sources() -> list[Path]:
    return sorted(p for pkg in FIRST_PARTY for p in (ROOT / pkg).rglob("*.py"))


def imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, imported module, at module top?) for every first-party import in a file.
    `from pipelines import X` counts as importing `pipelines` (the public API)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, n, id(node) in top) for n in names
                  if n.split(".")[0] in FIRST_PARTY]
    return found


def test_every_unit_is_declared():
    units = {unit_of(module_name(p)) for p in sources()}
    assert units <= LAYERS.keys(), f"add these to LAYERS and docs/architecture.md: {units - LAYERS.keys()}"


def test_layers_form_a_dag():
    seen: set[str] = set()
    order: list[str] = []

    def visit(unit: str, path: tuple[str, ...]) -> None:
        assert unit not in path, f"cycle in LAYERS: {' -> '.join((*path, unit))}"
        if unit in seen:
            return
        for dep in LAYERS[unit]:
            visit(dep, (*path, unit))
        seen.add(unit)
        order.append(unit)

    for unit in LAYERS:
        visit(unit, ())
    assert len(order) == len(LAYERS)


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_declared_layers(path: Path):
    here = unit_of(module_name(path))
    bad = []
    for line, target, _ in imports(path):
        there = unit_of(target) if here.startswith("pipelines") else target.split(".")[0]
        if there == here or there in LAYERS[here]:
            if there == "moe" and here.startswith("pipelines") and module_name(path) != MOE_GATE:
                bad.append(f"line {line}: {target} (only {MOE_GATE} may import moe)")
            continue
        bad.append(f"line {line}: {here} may not import {target}")
    assert not bad, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(bad)


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_first_party_imports_sit_at_module_top(path: Path):
    lazy = [f"line {line}: {target}" for line, target, top in imports(path) if not top]
    assert not lazy, f"{path.relative_to(ROOT)} hides imports in functions:\n  " + "\n  ".join(lazy)


def deferred_imports(tree: ast.Module) -> list[tuple[ast.AST, ast.AST]]:
    """(import, the function it sits in) for every import inside a function."""
    found = []
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found += [(n, fn) for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return found


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_deferred_third_party_imports_are_heavy_and_say_why(path: Path):
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    bad = []
    for node, fn in deferred_imports(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and (node.level or not node.module):
            continue
        name = (node.names[0].name if isinstance(node, ast.Import) else node.module).split(".")[0]
        if name in FIRST_PARTY:
            continue  # reported by the test above
        before = lines[fn.lineno - 1:node.lineno]  # the function, up to this import
        if name not in HEAVY_OPTIONAL:
            bad.append(f"line {node.lineno}: {name} is not a heavy optional dependency")
        elif not any("#" in line for line in before):
            bad.append(f"line {node.lineno}: deferred import of {name} needs a comment saying why")
    assert not bad, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(bad)


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_paths_of_other_packages_hide_in_strings(path: Path):
    """Import strings are how registries used to reach upward; entry points replace them."""
    here = unit_of(module_name(path))
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and MODULE_STRING.match(node.value):
            module = node.value.split(":")[0]
            there = unit_of(module) if here.startswith("pipelines") else module.split(".")[0]
            if there != here and there not in LAYERS[here]:
                bad.append(f"line {node.lineno}: {node.value!r}")
    assert not bad, f"{path.relative_to(ROOT)} names modules it may not import:\n  " + "\n  ".join(bad)


def test_extensions_are_entry_points_of_the_package_that_owns_them():
    """Each entry point names an importable object of a package allowed to extend the engine."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = {g: e for g, e in project["entry-points"].items() if g.startswith("pipe.")}
    assert {"pipe.node_kinds", "pipe.extractors", "pipe.equivalences", "pipe.datasets",
            "pipe.commands", "pipe.show_sections"} <= groups.keys()
    for group, entries in groups.items():
        for name, target in entries.items():
            module, _, attr = target.partition(":")
            file = ROOT / (module.replace(".", "/") + ".py")
            package = ROOT / module.replace(".", "/") / "__init__.py"
            assert file.is_file() or package.is_file(), f"{group}.{name}: no module {module}"
            source = (file if file.is_file() else package).read_text()
            assert re.search(rf"^(class|def|async def) {attr}\b|^{attr}\b", source, re.M), \
                f"{group}.{name}: {module} defines no {attr}"


def test_the_engine_plugin_tables_come_from_entry_points():
    from pipelines.plugins import COMMANDS, DATASETS, EQUIVALENCES, EXTRACTORS, NODE_KINDS

    assert {"llm", "python", "groups", "vote", "value", "score"} <= set(NODE_KINDS)
    assert {"boxed", "answer_tag", "none"} <= set(EXTRACTORS)
    assert {"exact", "normalized", "math"} <= set(EQUIVALENCES)
    assert {"inline", "jsonl", "arith", "reasoning_gym", "figma"} <= set(DATASETS)
    assert {"cost", "batch", "serve", "eval"} <= set(COMMANDS)
    assert NODE_KINDS.get("score").kind == "score"


def test_importing_the_engine_changes_nothing_and_loads_no_other_package():
    """No import-time side effects: the environment is untouched (BLAS pinning happens where the
    embedded engine starts), and the engine loads evals, translators and moe only when used."""
    probe = (
        "import os, sys; before = dict(os.environ); import pipelines, pipelines.cli; "
        "assert dict(os.environ) == before, 'environment changed'; "
        "loaded = sorted(m for m in ('moe', 'evals', 'translators') if m in sys.modules); "
        "assert not loaded, loaded")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_public_api_is_declared_and_documented():
    import pipelines

    assert {"validate", "run", "arun", "estimate", "graph", "show", "runs", "RunOptions",
            "RunResult", "CallRow", "RunStatus", "ItemStatus", "CallStatus", "ExitCode",
            "PipeError", "InputError", "RecipeError", "BudgetExceeded"} <= set(pipelines.__all__)
    undocumented = [name for name in pipelines.__all__
                    if not (getattr(pipelines, name).__doc__ or "").strip()]
    assert not undocumented
    fields = dataclasses.fields(pipelines.RunOptions)
    source = inspect.getsource(pipelines.RunOptions)
    assert all(f'{f.name}:' in source and source.split(f"    {f.name}:", 1)[1].split("\n")[1]
               .strip().startswith('"""') for f in fields), "every RunOptions field has a docstring"
