"""`llm`: a chat completion per item (or per element of `map`), `n` samples -> a list."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field

from pipelines.errors import Issue
from pipelines.nodes.base import Node, NodeConfig, NodeRun, PlanView
from pipelines.sandbox.expr import names_in
from pipelines.sandbox.limits import limit, limit_hint, over
from pipelines.sandbox.templates import IncludeCycle, TemplateNotText, TemplateOutside, templates_for

SAMPLING_KEYS = ("temperature", "top_p", "max_tokens", "stop", "response_format")
MAX_TOKENS_CAP = 1_048_576
"""Largest `max_tokens` accepted: above any model's context window."""
RESPONSE_FORMATS = ("text", "json_object", "json_schema")


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
    n: int = Field(default=1, ge=1, strict=True)
    """Samples per call site (at most PIPE_MAX_FANOUT). n > 1 makes the output a list; they
    are asked for in one request with `n` where the endpoint takes it (`n_requests`)."""
    temperature: float | None = Field(default=None, ge=0, le=2, allow_inf_nan=False)
    """Sampling temperature, 0 (greedy) to 2."""
    top_p: float | None = Field(default=None, gt=0, le=1, allow_inf_nan=False)
    """Nucleus sampling mass, above 0 and at most 1."""
    max_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS_CAP, strict=True)
    """Upper bound on generated tokens per sample."""
    seed: int | None = Field(default=None, ge=-(2**63), le=2**63 - 1, strict=True)
    """Base seed: a seed derived from (seed, item, node, sample) goes with each request (one
    for an n-request's samples, which the server tells apart by choice)."""
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
        issues = []
        if c.n > limit("fanout"):
            issues.append(Issue(f"llm node {self.id}: {over('fanout', c.n, 'n')}", self.where,
                                f"lower n; {limit_hint('fanout')}"))
        if c.response_format is not None and c.response_format.get("type") not in RESPONSE_FORMATS:
            issues.append(Issue(f"llm node {self.id}: response_format type "
                                f"{c.response_format.get('type')!r} is not one of {list(RESPONSE_FORMATS)}",
                                self.where, "e.g. response_format: {type: json_object}"))
        if bool(c.prompt) == bool(c.messages):
            return [*issues, Issue(f"llm node {self.id} needs exactly one of `prompt` or `messages`",
                                   self.where, "add prompt: prompts/NAME.j2")]
        if c.map is not None and c.n > 1:
            issues.append(Issue(f"llm node {self.id}: `map` and n > 1 cannot be combined",
                                self.where, "map over a list with n: 1, or drop map"))
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
            found = templates.findings(m.prompt, text=m.content)
        except TemplateOutside as exc:
            return [Issue(str(exc), self.where, "copy the template into the recipe's folder "
                          "instead of linking to it")]
        except IncludeCycle as exc:
            return [Issue(str(exc), self.where, "remove the include that closes the loop")]
        except TemplateNotText as exc:
            return [Issue(str(exc), self.where, "save the template as UTF-8")]
        except jinja2.TemplateNotFound as exc:
            missing = m.prompt if exc.name == m.prompt else f"{exc.name} (included by {label})"
            return [Issue(f"template file {missing!r} not found in {templates.root}", self.where,
                          "create it next to the recipe or fix the path")]
        except jinja2.TemplateSyntaxError as exc:
            return [Issue(f"template {label} has a syntax error: {exc.message}",
                          f"{exc.filename or label}:{exc.lineno}", "fix the jinja2 syntax")]
        issues = [Issue(f"template {label} {what}; the sandbox refuses it", self.where,
                        "use only the values' fields and filters") for what in found.unsafe]
        missing = found.names - self.provided()
        if missing:
            issues.append(Issue(f"template {label} uses {sorted(missing)} but node {self.id} "
                                f"provides {sorted(self.provided())}", self.where,
                                f"add {sorted(missing)[0]}: ${{...}} under vars"))
        return issues

    def item_fields(self, plan: PlanView) -> set[str]:
        fields = super().item_fields(plan)
        templates = templates_for(plan.recipe_dir)
        for m in self.messages_spec():
            try:
                fields |= templates.findings(m.prompt, text=m.content).item_fields
            except jinja2.TemplateError:  # reported by check()
                pass
        return fields

    def output_length(self, plan: PlanView) -> int | None:
        if self.config.map is None:
            return self.config.n if self.config.n > 1 else None
        source = self.source_node(plan, self.config.map)
        return source.output_length(plan) if source is not None else None

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
            if self.config.n == 1:
                return await ctx.chat(messages, sample=0, seed=self.config.seed, **params)
            # All n samples in one go: one request with `n` where the endpoint takes it.
            return list(await ctx.chat(messages, sample=0, n=self.config.n,
                                       seed=self.config.seed, **params))
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
