"""`${ ... }` expressions in recipe fields: sandboxed jinja2 expressions with StrictUndefined.

A field that is exactly one `${...}` evaluates to the value itself (a list stays a list);
text with embedded `${...}` parts evaluates to a string.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

ENV = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)


class ExprError(ValueError):
    pass


def _split(text: str) -> list[tuple[bool, str]]:
    """Split text into (is_expr, chunk) parts, matching braces inside expressions."""
    parts: list[tuple[bool, str]] = []
    i = 0
    while True:
        start = text.find("${", i)
        if start < 0:
            if i < len(text):
                parts.append((False, text[i:]))
            return parts
        if start > i:
            parts.append((False, text[i:start]))
        depth, j = 1, start + 2
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        if depth:
            raise ExprError(f"unclosed '${{' in {text!r}")
        parts.append((True, text[start + 2 : j - 1].strip()))
        i = j


@dataclass(frozen=True)
class Expr:
    """A recipe field value that may contain `${...}` expressions."""

    text: str

    @property
    def parts(self) -> list[tuple[bool, str]]:
        return _split(self.text)

    def names(self) -> set[str]:
        """Top-level names the expressions read (node names, `params`, `item`, ...)."""
        found: set[str] = set()
        for is_expr, chunk in self.parts:
            if is_expr:
                found |= _names(chunk)
        return found

    def evaluate(self, context: dict[str, Any]) -> Any:
        parts = self.parts
        if len(parts) == 1 and parts[0][0]:
            return _compile(parts[0][1])(**context)
        return "".join(str(_compile(c)(**context)) if e else c for e, c in parts)


@lru_cache(maxsize=4096)
def _names(expr: str) -> frozenset[str]:
    try:
        return frozenset(meta.find_undeclared_variables(ENV.parse("{{ " + expr + " }}")))
    except jinja2.TemplateSyntaxError as exc:
        raise ExprError(f"bad expression ${{{expr}}}: {exc.message}") from None


@lru_cache(maxsize=4096)
def _compile(expr: str):
    try:
        compiled = ENV.compile_expression(expr, undefined_to_none=False)
    except jinja2.TemplateSyntaxError as exc:
        raise ExprError(f"bad expression ${{{expr}}}: {exc.message}") from None

    def run(**context: Any) -> Any:
        value = compiled(**context)
        if isinstance(value, jinja2.Undefined):
            value._fail_with_undefined_error()
        return value

    return run


def has_expr(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def names_in(value: Any) -> set[str]:
    """All names referenced anywhere inside a (nested) field value."""
    if has_expr(value):
        return Expr(value).names()
    if isinstance(value, dict):
        return set().union(*(names_in(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(names_in(v) for v in value)) if value else set()
    return set()


def evaluate(value: Any, context: dict[str, Any]) -> Any:
    """Evaluate every expression inside a (nested) field value."""
    if has_expr(value):
        return Expr(value).evaluate(context)
    if isinstance(value, dict):
        return {k: evaluate(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [evaluate(v, context) for v in value]
    return value
