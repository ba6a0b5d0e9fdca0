"""Resource limits on recipes and on what `${...}` / templates may produce.

Every limit has a default and one override: an environment variable (`PIPE_MAX_...`), read
each time the limit is checked, so `PIPE_MAX_NODES=50000 pipe validate R.yaml` works for one
command. docs/limits.md lists them; `limit_hint` is the fix line every limit error carries.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from pipelines.errors import InputError


@dataclass(frozen=True)
class Limit:
    env: str
    default: float
    what: str
    integer: bool = True


LIMITS: dict[str, Limit] = {
    "recipe_bytes": Limit("PIPE_MAX_RECIPE_BYTES", 8 * 1024 * 1024, "bytes in a recipe file"),
    "yaml_nodes": Limit("PIPE_MAX_YAML_NODES", 1_000_000,
                        "YAML values in a recipe, counting every alias (*name) expanded"),
    "yaml_depth": Limit("PIPE_MAX_YAML_DEPTH", 64, "nesting depth of YAML mappings and lists"),
    "nodes": Limit("PIPE_MAX_NODES", 10_000, "graph nodes after unrolling repeats"),
    "calls_per_item": Limit("PIPE_MAX_CALLS_PER_ITEM", 10_000, "LLM calls one item may make"),
    "fanout": Limit("PIPE_MAX_FANOUT", 1_024, "samples `n` of one llm node, groups `count`"),
    "int_bits": Limit("PIPE_MAX_INT_BITS", 65_536, "bits of an integer made by ${...}"),
    "str_chars": Limit("PIPE_MAX_STRING_CHARS", 10_000_000,
                       "characters (or list elements) made by ${...} or a rendered template"),
    "eval_seconds": Limit("PIPE_MAX_EVAL_SECONDS", 5.0,
                          "seconds to evaluate one ${...} field or render one template",
                          integer=False),
}


def limit(name: str) -> float:
    """The current value of a limit: its environment override if set, else the default."""
    spec = LIMITS[name]
    raw = os.environ.get(spec.env)
    if raw is None or not raw.strip():
        return spec.default
    try:
        value = int(raw) if spec.integer else float(raw)
    except ValueError:
        value = -1
    if value <= 0 or not math.isfinite(value):
        kind = "a positive integer" if spec.integer else "a positive number of seconds"
        raise InputError(f"{spec.env}={raw!r} is not valid (fix: set it to {kind}, or unset it "
                         f"for the default {_fmt(spec.default)})")
    return value


def limit_hint(name: str) -> str:
    """How to allow more: the second half of the fix line of every limit error."""
    spec = LIMITS[name]
    return f"if it is intended, set {spec.env} above {_fmt(limit(name))}"


def over(name: str, amount: float, what: str) -> str:
    """`<what> is 30,001, over the limit of 10,000 (PIPE_MAX_NODES)`."""
    return f"{what} is {_fmt(amount)}, over the limit of {_fmt(limit(name))} ({LIMITS[name].env})"


def _fmt(value: float) -> str:
    return f"{value:,}" if float(value).is_integer() else f"{value:g}"
