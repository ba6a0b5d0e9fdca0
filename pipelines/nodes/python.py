"""`python`: call a function from a module in the recipe's own folder (explicit opt-in)."""

from __future__ import annotations

import dis
import hashlib
import importlib.util
import inspect
from dataclasses import dataclass, replace
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
    calls: int | None = Field(default=None, ge=0)
    """Most `ctx.chat` calls the function makes per item (enforced: one more fails the item).
    With `max_tokens` and `max_prompt_tokens` it lets `--estimate` bound them; unset, a
    function that takes `ctx` is reported as unbounded."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Largest `max_tokens` of those calls (enforced: sent when the function sets none)."""
    max_prompt_tokens: int | None = Field(default=None, ge=1)
    """Largest prompt of those calls in the endpoint's tokens (enforced before sending)."""


@dataclass(frozen=True)
class ChatCalls:
    """What a python node declares about its `ctx.chat` calls, per item."""

    calls: int
    max_tokens: int
    max_prompt_tokens: int


CHAT_DECLARATION = ("calls", "max_tokens", "max_prompt_tokens")


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


def _reads(fn: Callable[..., Any], name: str) -> bool:
    """Whether the function's own code ever loads the local `name` (a parameter it never
    reads cannot be used to call anything)."""
    return any(i.opname.startswith("LOAD") and (i.argval == name or isinstance(
        i.argval, tuple) and name in i.argval) for i in dis.get_instructions(fn))


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
        return self._check_chat_declaration("ctx" in params)

    def _check_chat_declaration(self, takes_ctx: bool) -> list[Issue]:
        given = [k for k in CHAT_DECLARATION if getattr(self.config, k) is not None]
        if given == ["calls"] and self.config.calls == 0:
            return []
        if given and not takes_ctx:
            return [Issue(f"python node {self.id}: {given} declare ctx.chat calls, but "
                          f"{self.config.function} takes no `ctx`", self.where,
                          f"drop {given[0]}, or give the function a `ctx` parameter")]
        if given and len(given) < len(CHAT_DECLARATION):
            missing = [k for k in CHAT_DECLARATION if k not in given]
            return [Issue(f"python node {self.id}: ctx.chat calls are declared with all of "
                          f"{list(CHAT_DECLARATION)}; {missing} missing", self.where,
                          f"add {missing[0]}: N (e.g. calls: 3, max_tokens: 1024, "
                          "max_prompt_tokens: 4000)")]
        return []

    def chat_calls(self, plan: PlanView) -> ChatCalls | None:
        """The declared bound on this node's ctx.chat calls per item; zero calls for a function
        without `ctx`; None when it takes `ctx` and declares nothing (unbounded)."""
        if self.config.calls == 0:
            return ChatCalls(0, 1, 1)
        if self.config.calls is not None:
            return ChatCalls(self.config.calls, self.config.max_tokens,
                             self.config.max_prompt_tokens)
        fn = load_function(plan.recipe_dir, self.config.function)
        takes_ctx = "ctx" in inspect.signature(fn).parameters
        return None if takes_ctx and _reads(fn, "ctx") else ChatCalls(0, 1, 1)

    def calls_per_item(self, plan: PlanView) -> int:
        declared = self.chat_calls(plan)
        return declared.calls if declared else 0

    async def run(self, ctx: NodeRun) -> Any:
        fn = load_function(ctx.recipe_dir, self.config.function)
        kwargs = ctx.eval(self.config.inputs)
        if "ctx" in inspect.signature(fn).parameters:
            kwargs["ctx"] = ctx if self.config.calls is None else self._held_to_declaration(ctx)
        result = fn(**kwargs)
        return await result if inspect.isawaitable(result) else result

    def _held_to_declaration(self, ctx: NodeRun) -> NodeRun:
        """`ctx` whose chat refuses (before sending) a call past `calls` or above `max_tokens`;
        the call path refuses a prompt above `max_prompt_tokens`."""
        made = 0
        cap, most = self.config.max_tokens, self.config.calls

        async def chat(messages, *, sample: int | None = None, **params: Any) -> str:
            nonlocal made
            made += 1
            if made > most:
                raise ValueError(f"python node {self.id} made more than its declared "
                                 f"calls: {most} ctx.chat calls for one item")
            if params.get("max_tokens") is None:
                params["max_tokens"] = cap
            elif int(params["max_tokens"]) > cap:
                raise ValueError(f"python node {self.id}: a ctx.chat call asked max_tokens="
                                 f"{params['max_tokens']}, above its declared max_tokens: {cap}")
            return await ctx.chat(messages, sample=sample,
                                  max_prompt_tokens=self.config.max_prompt_tokens, **params)

        return replace(ctx, chat=chat)
