"""`llm`: a chat completion per item (or per element of `map`), `n` samples -> a list."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field

from pipelines.errors import Issue
from pipelines.nodes.base import Node, NodeConfig, NodeRun, PlanView
from pipelines.sandbox.expr import names_in
from pipelines.sandbox.templates import templates_for

SAMPLING_KEYS = ("temperature", "top_p", "max_tokens", "stop", "response_format")


class MessageSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant"]
    """Chat role of this message."""
    prompt: str | None = None
    """Template file (relative to the recipe) rendered as the message content."""
    content: str | None = None
    """Inline jinja2 template text, instead of a file."""


class LLMConfig(NodeConfig):
    prompt: str | None = None
    """Template file rendered as the single user message (or use `messages`)."""
    messages: list[MessageSpec] | None = None
    """Several messages, each from a template file or inline template text."""
    vars: dict[str, Any] = Field(default_factory=dict)
    """Template variables; `${...}` evaluated per item. `item` and `params` are always there."""
    map: Any = None
    """A list to map over: one call per element, bound as `each` (and `index`)."""
    n: int = Field(default=1, ge=1)
    """Samples per call site. n > 1 makes the output a list."""
    temperature: float | None = Field(default=None, ge=0)
    """Sampling temperature (0 = greedy)."""
    top_p: float | None = Field(default=None, gt=0, le=1)
    """Nucleus sampling mass."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Upper bound on generated tokens per sample."""
    seed: int | None = None
    """Base seed; each sample gets its own seed derived from (seed, item, node, sample)."""
    stop: str | list[str] | None = None
    """Stop string(s)."""
    response_format: dict[str, Any] | None = None
    """OpenAI response_format, e.g. {type: json_object}."""


class LLMNode(Node):
    kind = "llm"
    Config = LLMConfig
    dynamic = frozenset({"vars", "map"})
    local_names = frozenset({"each", "index"})

    def messages_spec(self) -> list[MessageSpec]:
        if self.config.messages:
            return self.config.messages
        return [MessageSpec(role="user", prompt=self.config.prompt)]

    def provided(self) -> set[str]:
        names = {"item", "params", *self.config.vars, *self.locals}
        return names | ({"each", "index"} if self.config.map is not None else set())

    def check(self, plan: PlanView) -> list[Issue]:
        c = self.config
        if bool(c.prompt) == bool(c.messages):
            return [Issue(f"llm node {self.id} needs exactly one of `prompt` or `messages`",
                          self.where, "add prompt: prompts/NAME.j2")]
        if c.map is not None and c.n > 1:
            return [Issue(f"llm node {self.id}: `map` and n > 1 cannot be combined", self.where,
                          "map over a list with n: 1, or drop map")]
        issues = []
        templates = templates_for(plan.recipe_dir)
        for m in self.messages_spec():
            issues += self._check_template(templates, m)
        return issues

    def _check_template(self, templates, m: MessageSpec) -> list[Issue]:
        if bool(m.prompt) == bool(m.content is not None):
            return [Issue("a message needs exactly one of `prompt` (file) or `content`",
                          self.where, "e.g. {role: user, prompt: prompts/x.j2}")]
        label = m.prompt or "inline content"
        try:
            used = templates.variables(m.prompt, text=m.content)
        except jinja2.TemplateNotFound:
            return [Issue(f"template file {m.prompt!r} not found in {templates.root}", self.where,
                          "create it next to the recipe or fix the path")]
        except jinja2.TemplateSyntaxError as exc:
            return [Issue(f"template {label} has a syntax error: {exc.message}",
                          f"{exc.filename or label}:{exc.lineno}", "fix the jinja2 syntax")]
        missing = used - self.provided()
        if missing:
            return [Issue(f"template {label} uses {sorted(missing)} but node {self.id} provides "
                          f"{sorted(self.provided())}", self.where,
                          f"add {sorted(missing)[0]}: ${{...}} under vars")]
        return []

    def calls_per_item(self, plan: PlanView) -> int:
        if self.config.map is None:
            return self.config.n
        return _list_length(plan, plan.nodes.get(self.scope.get(_single_name(self.config.map) or "", "")))

    async def render(self, ctx: NodeRun, extra: dict[str, Any]) -> list[dict[str, str]]:
        templates = templates_for(ctx.recipe_dir)
        context = {"item": ctx.item, "params": ctx.params, **self.locals, **extra}
        context.update(ctx.eval(self.config.vars, **extra))
        return [{"role": m.role, "content": templates.render(m.prompt, context, text=m.content)}
                for m in self.messages_spec()]

    def sampling(self) -> dict[str, Any]:
        return {k: getattr(self.config, k) for k in SAMPLING_KEYS if getattr(self.config, k) is not None}

    async def run(self, ctx: NodeRun) -> Any:
        params = self.sampling()
        if self.config.map is None:
            messages = await self.render(ctx, {})
            outs = await asyncio.gather(*(ctx.chat(messages, sample=j, seed=self.config.seed, **params)
                                          for j in range(self.config.n)))
            return outs[0] if self.config.n == 1 else list(outs)
        elements = ctx.eval(self.config.map)
        if not isinstance(elements, list):
            raise ValueError(f"llm node {self.id}: `map` must be a list, got {type(elements).__name__}")
        rendered = [await self.render(ctx, {"each": e, "index": i}) for i, e in enumerate(elements)]
        return list(await asyncio.gather(*(ctx.chat(m, sample=i, seed=self.config.seed, **params)
                                           for i, m in enumerate(rendered))))


def _list_length(plan, source: Node | None) -> int:
    """How long the list a node outputs is, as far as the plan can tell (1 if unknown)."""
    if source is None:
        return 1
    if source.kind == "value":  # a repeat's init: follow it back
        return _list_length(plan, plan.nodes.get(next(iter(source.deps()), "")))
    if source.kind == "llm":
        return source.calls_per_item(plan)
    return getattr(source.config, "count", None) or 1


def _single_name(expr: Any) -> str | None:
    names = names_in(expr)
    return next(iter(names)) if len(names) == 1 else None
