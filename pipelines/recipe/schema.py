"""Pydantic models of a recipe file, and typed parameter overrides (`-p KEY=VALUE`)."""

from __future__ import annotations

import json
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipelines.errors import Issue, RecipeError

ParamType = Literal["int", "float", "str", "bool", "list", "dict"]
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,), "float": (float, int), "str": (str,), "bool": (bool,),
    "list": (list,), "dict": (dict,),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParamSpec(Strict):
    """A recipe parameter: typed, with a default, overridable with `-p NAME=VALUE`."""

    type: ParamType = "str"
    """One of int, float, str, bool, list, dict."""
    default: Any = None
    """Value used when no override is given (required unless an override is always passed)."""
    help: str = ""
    """One line shown by `pipe validate` and in reports."""
    choices: list[Any] | None = None
    """If set, the value must be one of these."""


class DatasetSpec(BaseModel):
    """Where items come from. Extra keys are options for the source (size, seed, task, path)."""

    model_config = ConfigDict(extra="allow")
    source: str
    """A registered source name (see `pipe validate --sources`) or a path to a .jsonl file."""


class Recipe(Strict):
    """The top level of a recipe YAML file."""

    name: str
    """Short identifier shown in run listings."""
    description: str = ""
    """What the recipe does, for humans."""
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    """Typed parameters; reference them as `${params.NAME}`."""
    endpoint: str | dict[str, Any] | None = None
    """`embedded` (default), a base URL, or a mapping of endpoint options (url/urls, concurrency...)."""
    model: str = "moe-tiny"
    """Model name sent to the endpoint."""
    pricing: str | None = None
    """Price sheet or deployment profile YAML used by the meter (default: looked up by model)."""
    dataset: DatasetSpec
    """The items the pipeline runs over."""
    allow_python: bool = False
    """Explicit opt-in for `python` nodes (functions from modules in the recipe's folder)."""
    nodes: dict[str, Any]
    """The DAG: node name -> node definition with a `kind` (checked node by node)."""
    outputs: dict[str, Any] = Field(default_factory=dict)
    """Per-item outputs shown by `pipe show`, as `${...}` expressions."""


_ARTICLE = {"int": "an int", "float": "a float", "str": "a string", "bool": "a bool (true/false)",
            "list": "a JSON list", "dict": "a JSON mapping"}
_EXAMPLES = {"int": "8", "float": "0.7", "bool": "true", "list": "[1,2]", "dict": "{}", "str": "x"}


def coerce_param(name: str, spec: ParamSpec, value: Any, where: str, *,
                 is_default: bool = False) -> tuple[Any, list[Issue]]:
    """Check (and, for CLI strings, parse) one parameter value against its declared type.
    `is_default`: the value is the recipe's own default, so the fix is to change it there."""
    if isinstance(value, str) and spec.type != "str":
        try:
            value = json.loads(value) if spec.type in ("list", "dict", "bool") else (
                int(value) if spec.type == "int" else float(value))
        except (ValueError, RecursionError):
            pass
    ok = isinstance(value, _PY_TYPES[spec.type]) and not (
        spec.type in ("int", "float") and isinstance(value, bool))
    if not ok:
        return value, [Issue(f"param {name} must be {spec.type}, got {_clip(value)}",
                             where, _fix(name, spec, is_default, value))]
    if spec.type == "float" and not math.isfinite(value):
        return value, [Issue(f"param {name} must be a finite number, got {value!r}", where,
                             _fix(name, spec, is_default, value))]
    if spec.type == "float":
        value = float(value)
    if spec.choices is not None and value not in spec.choices:
        place = "change the default to" if is_default else "pass"
        return value, [Issue(f"param {name}={_clip(value)} is not one of {spec.choices}", where,
                             f"{place} one of {spec.choices}")]
    return value, []


def _fix(name: str, spec: ParamSpec, is_default: bool, bad: Any) -> str:
    example = _example(spec, bad)
    if is_default:
        return f"change its default to {_ARTICLE[spec.type]}, e.g. default: {example}"
    return f"pass {_ARTICLE[spec.type]}, e.g. -p {name}={example}"


def _example(spec: ParamSpec, bad: Any) -> str:
    """An example value of the right type: the default if it is valid, never the bad value."""
    default = spec.default
    if default is not None and default != bad and isinstance(default, _PY_TYPES[spec.type]) and \
            not (spec.type in ("int", "float") and isinstance(default, bool)):
        return json.dumps(default) if spec.type != "str" else str(default)
    if spec.choices:
        return json.dumps(spec.choices[0]) if spec.type != "str" else str(spec.choices[0])
    return _EXAMPLES[spec.type]


def _clip(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else f"{text[:width - 3]}..."


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """`["N=8", "model=x"]` -> `{"N": "8", "model": "x"}` (typed later against the recipe)."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise RecipeError([Issue(f"bad -p value {pair!r}", "command line", "write -p NAME=VALUE")])
        out[key.strip()] = value
    return out
