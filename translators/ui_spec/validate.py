"""Parse and validate a UI spec (YAML text or data); every problem names its YAML path and line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from pipelines.errors import Issue
from translators.errors import SpecError
from translators.ui_spec import semantics
from translators.ui_spec.locate import Path, compose, construct, data_path, format_path, line_index, line_of
from translators.ui_spec.models import Spec

ALL_TARGETS = ("html", "react_tsx", "divkit")
NODE_TYPES = frozenset({
    "column", "row", "wrap", "scroll", "grid", "stack", "repeat", "text", "button", "input",
    "checkbox", "switch", "image", "icon", "divider", "spacer",
})
_UNION_HINTS = {
    "w": "must be fill, hug or a whole number of px",
    "h": "must be fill, hug or a whole number of px",
    "pad": "must be one number, [vertical, horizontal] or [top, right, bottom, left]",
    "radius": "must be one number or [top-left, top-right, bottom-right, bottom-left]",
}
# `bg: #fff` is a YAML comment, so the value silently becomes null.
_UNQUOTED_COLOR = re.compile(r"(?:^|[{,])\s*(?:-\s+)?([a-z_]+):\s+(#[0-9A-Fa-f]{3,8})\b", re.M)


@dataclass
class Checked:
    """Outcome of validating one spec."""

    spec: Spec | None
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """A spec was built and no issue was found."""
        return self.spec is not None and not self.issues

    def messages(self) -> list[str]:
        """Every issue as one line of text."""
        return [str(i) for i in self.issues]


def check_spec(source: str | dict, *, targets: tuple[str, ...] = ALL_TARGETS, name: str = "spec.yaml") -> Checked:
    """Validate a spec against the schema and the semantic rules for `targets`."""
    text = source if isinstance(source, str) else None
    lines: dict[Path, int] = {}

    def issue(path: Path, message: str, fix: str = "") -> Issue:
        line = line_of(lines, path)
        where = f"{name}:{line} {format_path(path)}" if line else f"{name} {format_path(path)}"
        return Issue(message, where=where, fix=fix)

    if text is not None:
        root, early = _parse(text, name)
        if early:  # an unquoted colour in a flow mapping breaks the syntax: say so
            unquoted = [_unquoted_issue(name, lines, m) for m in _UNQUOTED_COLOR.finditer(text)]
            return Checked(None, unquoted or early)
        lines.update(line_index(root))
        commented = _commented_colors(text, root, name, lines)
        if commented:
            return Checked(None, commented)
        data = construct(root)
    else:
        data = source
    if not isinstance(data, dict):
        return Checked(None, [Issue("a spec is a mapping with screen, width, height and root",
                                    where=name, fix="start the document with `screen: <name>`")])
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        return Checked(None, _schema_issues(exc, data, issue))
    problems = semantics.check(spec, targets)
    return Checked(spec, [issue(p.path, p.message, p.fix) for p in problems])


def load_spec(source: str | dict, *, targets: tuple[str, ...] = ALL_TARGETS, name: str = "spec.yaml") -> Spec:
    """The validated spec, or SpecError listing every problem."""
    checked = check_spec(source, targets=targets, name=name)
    if not checked.ok:
        raise SpecError(checked.issues)
    assert checked.spec is not None
    return checked.spec


def _parse(text: str, name: str) -> tuple[Any, list[Issue]]:
    try:
        return compose(text), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [Issue(f"invalid YAML: {problem}", where=where, fix="fix the YAML syntax (quote strings with : or #)")]


def _commented_colors(text: str, root: Any, name: str, lines: dict[Path, int]) -> list[Issue]:
    """Keys whose value is empty because `#hex` after them started a comment."""
    out = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null") and value.value == "":
                    rest = text[key.end_mark.index:].split("\n", 1)[0]
                    if match := re.match(r"\s*:\s+(#[0-9A-Fa-f]{3,8})\b", rest):
                        out.append(_issue_at(name, lines, key.start_mark.line + 1, key.value, match.group(1)))
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return out


def _unquoted_issue(name: str, lines: dict[Path, int], match: re.Match) -> Issue:
    line = match.string.count("\n", 0, match.start(2)) + 1
    return _issue_at(name, lines, line, match.group(1), match.group(2))


def _issue_at(name: str, lines: dict[Path, int], line: int, key: str, value: str) -> Issue:
    on_line = [p for p, n in lines.items() if n == line and p and p[-1] == key]
    where = f"{name}:{line} {format_path(max(on_line, key=len))}" if on_line else f"{name}:{line} {key}"
    return Issue(f"unquoted colour {value} is read as a YAML comment", where=where,
                 fix=f"quote it: {key}: '{value}'")


def _schema_issues(exc: ValidationError, data: dict, issue) -> list[Issue]:
    by_path: dict[Path, list[str]] = {}
    for err in exc.errors(include_url=False):
        path = data_path(tuple(err["loc"]), data, NODE_TYPES)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "union_tag_invalid":
            msg = f"unknown type {err['ctx']['tag']!r}; use one of: {', '.join(sorted(NODE_TYPES))}"
        elif err["type"] == "union_tag_not_found":
            msg = "a node needs a type"
        elif err["type"] == "extra_forbidden":
            msg = f"unknown field {path[-1]!r}" if path else msg
        elif err["type"] == "missing":
            msg = f"missing required field {path[-1]!r}" if path else msg
        by_path.setdefault(path, [])
        if msg not in by_path[path]:
            by_path[path].append(msg)
    out = []
    for path, msgs in by_path.items():
        key = path[-1] if path else ""
        if len(msgs) > 1 and key in _UNION_HINTS:
            msgs = [_UNION_HINTS[key]]
        out.append(issue(path, "; ".join(msgs)))
    return out
