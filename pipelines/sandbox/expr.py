"""`${ ... }` expressions in recipe fields: sandboxed jinja2 expressions with StrictUndefined.

A field that is exactly one `${...}` evaluates to the value itself (a list stays a list);
text with embedded `${...}` parts evaluates to a string.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2

from pipelines.sandbox.analysis import Findings, analyse
from pipelines.sandbox.guard import GuardedSandbox, check_length, time_limit

ENV = GuardedSandbox(undefined=jinja2.StrictUndefined)


class ExprError(ValueError):
    pass


@lru_cache(maxsize=4096)
def _split(text: str) -> tuple[tuple[bool, str], ...]:
    return tuple(_split_parts(text))


def _split_parts(text: str) -> list[tuple[bool, str]]:
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
            raise ExprError(f"unclosed '${{' in {_clip(text[start:])!r}: a `}}` is missing")
        parts.append((True, text[start + 2 : j - 1].strip()))
        i = j


@dataclass(frozen=True)
class Expr:
    """A recipe field value that may contain `${...}` expressions."""

    text: str

    @property
    def parts(self) -> tuple[tuple[bool, str], ...]:
        return _split(self.text)

    def names(self) -> set[str]:
        """Top-level names the expressions read (node names, `params`, `item`, ...)."""
        return set(self.findings().names)

    def findings(self) -> Findings:
        """Names, item fields and params read, and sandbox violations, of every `${...}`."""
        found = Findings()
        for is_expr, chunk in self.parts:
            if is_expr:
                found.merge(_analysed(chunk))
        return found

    def evaluate(self, context: dict[str, Any]) -> Any:
        parts = self.parts
        with time_limit(f"evaluating {_clip(self.text)!r}"):
            if len(parts) == 1 and parts[0][0]:
                value = _compile(parts[0][1])(**context)
            else:
                value = "".join(str(_compile(c)(**context)) if e else c for e, c in parts)
        if isinstance(value, (str, list, tuple)):
            check_length(len(value), f"the value of {_clip(self.text)!r}")
        return value


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


@lru_cache(maxsize=4096)
def _analysed(expr: str) -> Findings:
    try:
        found = analyse(ENV.parse("{{ " + expr + " }}"))
    except jinja2.TemplateSyntaxError as exc:
        raise ExprError(f"bad expression ${{{_clip(expr)}}}: {exc.message}") from None
    _compile(expr)  # unknown filters and tests are compile-time errors: find them now
    return found


@lru_cache(maxsize=4096)
def _compile(expr: str):
    try:
        compiled = ENV.compile_expression(expr, undefined_to_none=False)
    except jinja2.TemplateSyntaxError as exc:
        raise ExprError(f"bad expression ${{{_clip(expr)}}}: {exc.message}") from None

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
    return findings_in(value).names


def expr_chunks(value: Any) -> list[str]:
    """Every `${...}` inside a (nested) field value, each as its own `${...}` text."""
    if has_expr(value):
        return ["${" + chunk + "}" for is_expr, chunk in _split(value) if is_expr]
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return [chunk for child in children for chunk in expr_chunks(child)]


def findings_in(value: Any) -> Findings:
    """Names, item fields, params and sandbox violations anywhere inside a field value.
    Raises ExprError on a malformed `${...}`."""
    if has_expr(value):
        return Expr(value).findings()
    found = Findings()
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        found.merge(findings_in(child))
    return found


def evaluate(value: Any, context: dict[str, Any]) -> Any:
    """Evaluate every expression inside a (nested) field value."""
    if has_expr(value):
        return Expr(value).evaluate(context)
    if isinstance(value, dict):
        return {k: evaluate(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [evaluate(v, context) for v in value]
    return value
