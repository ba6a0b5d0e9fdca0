"""`python`: call a function from a module in the recipe's own folder (explicit opt-in)."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from pydantic import Field

from pipelines.errors import Issue
from pipelines.nodes.base import Node, NodeConfig, NodeRun, PlanView


class PythonConfig(NodeConfig):
    function: str
    """`module.py:function`, the module living in the recipe's folder."""
    inputs: dict[str, Any] = Field(default_factory=dict)
    """Keyword arguments; `${...}` evaluated per item."""


_MODULES: dict[Path, ModuleType] = {}


def load_function(recipe_dir: Path, spec: str) -> Callable[..., Any]:
    """Import `file.py:fn` from inside `recipe_dir` only (no paths that leave it)."""
    file, sep, name = spec.partition(":")
    if not sep or not file.endswith(".py") or not name:
        raise ValueError(f"function must look like module.py:function, got {spec!r}")
    path = (recipe_dir / file).resolve()
    if recipe_dir.resolve() not in path.parents:
        raise ValueError(f"{file} is outside the recipe's folder {recipe_dir}")
    if not path.is_file():
        raise FileNotFoundError(f"{file} not found in {recipe_dir}")
    module = _MODULES.get(path)
    if module is None:
        tag = hashlib.sha256(str(path).encode()).hexdigest()[:8]
        mod_spec = importlib.util.spec_from_file_location(f"pipe_recipe_{tag}_{path.stem}", path)
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
        _MODULES[path] = module
    fn = getattr(module, name, None)
    if not callable(fn):
        raise AttributeError(f"{file} has no function {name!r}")
    return fn


class PythonNode(Node):
    kind = "python"
    Config = PythonConfig
    dynamic = frozenset({"inputs"})

    def check(self, plan: PlanView) -> list[Issue]:
        if not plan.recipe.allow_python:
            return [Issue(f"python node {self.id} needs the recipe's explicit opt-in", self.where,
                          "add `allow_python: true` at the top level of the recipe")]
        try:
            fn = load_function(plan.recipe_dir, self.config.function)
        except (ValueError, FileNotFoundError, AttributeError, ImportError, SyntaxError) as exc:
            return [Issue(f"python node {self.id}: {exc}", self.where,
                          "put the module next to the recipe and name an existing function")]
        params = inspect.signature(fn).parameters
        takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
        unknown = set(self.config.inputs) - set(params) if not takes_kwargs else set()
        if unknown:
            return [Issue(f"python node {self.id}: {self.config.function} takes no "
                          f"{sorted(unknown)}", self.where,
                          f"its parameters are {sorted(p for p in params if p != 'ctx')}")]
        return []

    async def run(self, ctx: NodeRun) -> Any:
        fn = load_function(ctx.recipe_dir, self.config.function)
        kwargs = ctx.eval(self.config.inputs)
        if "ctx" in inspect.signature(fn).parameters:
            kwargs["ctx"] = ctx
        result = fn(**kwargs)
        return await result if inspect.isawaitable(result) else result
