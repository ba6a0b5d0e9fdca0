"""Load cost YAML files (price sheets, profiles, the GPU catalogue) into pydantic models.

Validation problems become one `InputError` listing every bad field with its `file:line`,
so a user fixing a profile sees all of it at once and nothing is priced from a bad file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pipelines.errors import InputError, Issue

M = TypeVar("M", bound=BaseModel)

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""The safe loader, in C (libyaml) where PyYAML has it."""

COST_DATA_DIR = Path(__file__).resolve().parents[2] / "recipes" / "cost"
"""Shipped price sheets, deployment profiles and the GPU catalogue."""


def read_yaml(path: Path) -> tuple[dict[str, Any], yaml.Node | None]:
    """The mapping in `path` and its node tree (for line numbers)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        data = yaml.load(text, Loader=_SafeLoader)  # libyaml when built: start-up reads ~20
        node = yaml.compose(text, Loader=_SafeLoader)  # shipped sheets and profiles
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data, node


def line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest existing node along `loc` (a missing key -> its parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(key)]
            if not match:
                break
            key_node, node = match[0]
            line = key_node.start_mark.line + 1  # a key's line, also for a nested mapping
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _message(err: dict[str, Any]) -> tuple[str, str]:
    """A user-facing message and fix hint for one pydantic error."""
    kind, field = err["type"], ".".join(str(p) for p in err["loc"])
    if kind == "missing":
        return "required field is missing", f"add `{field}` to the file"
    if kind == "extra_forbidden":
        return "unknown field", f"remove `{field}` or check its spelling"
    got = err.get("input")
    got_txt = f" (got {got!r})" if not isinstance(got, (dict, list)) else ""
    return f"{err['msg'].removeprefix('Value error, ')}{got_txt}", ""


def issues_from(exc: ValidationError, path: Path, node: yaml.Node | None) -> list[Issue]:
    issues = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
        message, fix = _message({**err, "loc": loc})
        issues.append(issue_at(path, node, loc, message, fix))
    return issues


def issue_at(path: Path, node: yaml.Node | None, loc: tuple[Any, ...], message: str,
             fix: str = "") -> Issue:
    """An Issue pointing at field `loc` of the file (its line when the field is present)."""
    line = line_of(node, loc)
    field = ".".join(str(p) for p in loc) or "(top level)"
    where = f"{path}:{line} field {field}" if line else f"{path} field {field}"
    return Issue(message=message, where=where, fix=fix)


def raise_issues(issues: list[Issue], what: str) -> None:
    if issues:
        body = "\n".join(str(i) for i in issues)
        raise InputError(f"invalid {what}:\n{body}")


def validate_data(model: type[M], data: dict[str, Any], path: Path, node: yaml.Node | None,
                  what: str) -> M:
    """`model(**data)`, or one InputError naming every bad field with file:line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise_issues(issues_from(exc, path, node), what)
        raise  # unreachable: raise_issues always raises for a non-empty list


def load_model(model: type[M], path: str | Path, what: str) -> M:
    path = Path(path)
    data, node = read_yaml(path)
    return validate_data(model, data, path, node, what)
