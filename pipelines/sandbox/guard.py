"""A jinja2 sandbox that also bounds what an expression or template may cost.

jinja2's own sandbox stops attribute escapes and mutation, but `9 ** 9 ** 9`, `'a' * 4000000000`
or a macro that calls itself twice run until memory or patience ends. Here the operators that
can grow a value (`*`, `**`, `%`, `+`), the string methods and filters that pad or repeat, and
every call and filter also check a deadline, all before they allocate. Limits live in limits.py.
"""

from __future__ import annotations

import math
import re
import threading
import time
from contextlib import contextmanager
from functools import wraps
from typing import Any, Iterator

from jinja2 import Environment
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from pipelines.sandbox.limits import LIMITS, limit, limit_hint


class SandboxLimitError(ValueError):
    """An expression or template would pass a resource limit; `limit` names which one and
    `fix` says how to stay under it or raise it."""

    def __init__(self, message: str, limit_name: str):
        self.limit = limit_name
        self.fix = f"make it produce less; {limit_hint(limit_name)}"
        super().__init__(f"{message} ({LIMITS[limit_name].env})")


_state = threading.local()
_WIDTH = re.compile(r"%[-#0 +]*(\d+|\*)?(?:\.(\d+|\*))?")
_FORMAT_WIDTH = re.compile(r"\{[^{}]*?[:<>=^.](\d+)[^{}]*\}")
_SIZED = (str, bytes, list, tuple)


@contextmanager
def time_limit(what: str) -> Iterator[None]:
    """Bound the time of one evaluation or render (nested ones keep the outer deadline)."""
    outer = getattr(_state, "deadline", None)
    if outer is None:
        _state.deadline, _state.what = time.monotonic() + limit("eval_seconds"), what
    try:
        yield
    finally:
        if outer is None:
            _state.deadline = None


def check_deadline() -> None:
    deadline = getattr(_state, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        _state.deadline = None  # report once; the caller unwinds
        raise SandboxLimitError(f"{_state.what} took more than {limit('eval_seconds'):g} s",
                                "eval_seconds")


def check_length(n: int, what: str) -> None:
    if n > limit("str_chars"):
        raise SandboxLimitError(f"{what} would have {n:,} characters or elements, over the "
                                f"limit of {int(limit('str_chars')):,}", "str_chars")


def check_bits(bits: int, what: str) -> None:
    if bits > limit("int_bits"):
        raise SandboxLimitError(f"{what} would be an integer of about {bits:,} bits, over the "
                                f"limit of {int(limit('int_bits')):,}", "int_bits")


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _check_binop(op: str, left: Any, right: Any) -> None:
    if op == "**" and _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
        check_bits(int(right * math.log2(abs(left))) + 1, f"{_short(left)} ** {_short(right)}")
    elif op == "*" and _is_int(left) and _is_int(right):
        check_bits(left.bit_length() + right.bit_length(), "the product")
    elif op == "*" and (isinstance(left, _SIZED) and _is_int(right) or
                        isinstance(right, _SIZED) and _is_int(left)):
        seq, times = (left, right) if isinstance(left, _SIZED) else (right, left)
        check_length(len(seq) * max(times, 0), "repeating a value")
    elif op == "+" and isinstance(left, _SIZED) and isinstance(right, _SIZED):
        check_length(len(left) + len(right), "joining two values")
    elif op == "%" and isinstance(left, str):
        _check_percent_format(left, right)


def _check_percent_format(fmt: str, args: Any) -> None:
    values = args if isinstance(args, tuple) else (args,)
    for width, precision in _WIDTH.findall(fmt):
        for part in (width, precision):
            if part.isdigit():
                check_length(int(part), "a %-format width")
            elif part == "*":
                check_length(max((v for v in values if _is_int(v)), default=0), "a %-format width")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 24 else f"{text[:20]}..."


def _check_str_method(name: str, text: str, args: tuple, kwargs: dict) -> None:
    numbers = [a for a in (*args, *kwargs.values()) if _is_int(a)]
    if name in ("ljust", "rjust", "center", "zfill"):
        check_length(max(numbers, default=0), f"str.{name}")
    elif name == "expandtabs":
        check_length(len(text) + text.count("\t") * max(numbers, default=8), "str.expandtabs")
    elif name == "replace" and len(args) >= 2 and all(isinstance(a, str) for a in args[:2]):
        _check_replace(text, args[0], args[1])
    elif name == "join" and isinstance(args[0] if args else None, (list, tuple)):
        check_length(len(text) * len(args[0]) + sum(len(str(x)) for x in args[0]), "str.join")
    elif name in ("format", "format_map"):
        for width in _FORMAT_WIDTH.findall(text):
            check_length(int(width), "a format width")


def _check_replace(text: str, old: str, new: str) -> None:
    hits = len(text) + 1 if old == "" else text.count(old)
    check_length(len(text) + hits * max(len(new) - len(old), 0), "replace")


# filters whose output can be far larger than their input, and how to bound it first
def _pre_center(value: Any, width: Any = 80, *a: Any, **k: Any) -> None:
    if _is_int(width):
        check_length(width, "center")


def _pre_indent(value: Any, width: Any = 4, *a: Any, **k: Any) -> None:
    if _is_int(width):
        check_length((str(value).count("\n") + 1) * width + len(str(value)), "indent")


def _pre_format(value: Any, *args: Any, **k: Any) -> None:
    if isinstance(value, str):
        _check_percent_format(value, args)


def _pre_batch(value: Any, count: Any = 1, fill_with: Any = None, *a: Any, **k: Any) -> None:
    if _is_int(count):
        check_length(count, "batch/slice")


def _pre_replace(value: Any, old: Any = "", new: Any = "", *a: Any, **k: Any) -> None:
    if isinstance(value, str) and isinstance(old, str) and isinstance(new, str):
        _check_replace(value, old, new)


_PRECHECKS = {"center": _pre_center, "indent": _pre_indent, "format": _pre_format,
              "batch": _pre_batch, "slice": _pre_batch, "replace": _pre_replace}


def _guard_filter(name: str, fn: Any) -> Any:
    pre = _PRECHECKS.get(name)

    @wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        check_deadline()
        if pre is not None:  # pass_context/pass_environment filters get that first
            values = [a for a in args if not _is_jinja_internal(a)]
            pre(*values, **kwargs)
        return fn(*args, **kwargs)

    return guarded


def _is_jinja_internal(value: Any) -> bool:
    return isinstance(value, (Environment, Context, EvalContext))


class GuardedSandbox(ImmutableSandboxedEnvironment):
    """ImmutableSandboxedEnvironment + size and time limits (see the module docstring)."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any):
        super().__init__(**options)
        # `namespace` is the one way a template loop can carry a value from one pass to the
        # next (and double it each time); `lipsum(n)` makes n paragraphs
        for name in ("namespace", "lipsum"):
            self.globals.pop(name, None)
        self.filters = {n: _guard_filter(n, f) for n, f in self.filters.items()}
        self.tests = {n: _guard_filter(n, f) for n, f in self.tests.items()}

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check_deadline()
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        check_deadline()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        check_deadline()
        return super().getitem(obj, argument)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        check_deadline()
        target = getattr(__obj, "__wrapped__", __obj)  # str.format comes wrapped by the sandbox
        owner = getattr(target, "__self__", None)
        if isinstance(owner, str):
            _check_str_method(getattr(target, "__name__", ""), owner, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, _SIZED):
            check_length(len(result), "a call's result")
        return result
