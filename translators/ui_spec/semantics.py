"""Checks the schema cannot express: unique ids, references, target rules, safe strings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from translators.ui_spec.locate import Path, format_path
from translators.ui_spec.models import BINDABLE_TYPES, CONTAINER_TYPES, Repeat, Spec, node_children, shadows

MAX_DEPTH = 64
MAX_NODES = 2000
TARGETS_WITHOUT_EMPTY_CONTAINERS = frozenset({"divkit"})
# C0/C1 controls (except tab and newline), surrogates and noncharacters: HTML forbids them and
# they cannot round-trip through UTF-8 files.
BAD_CHAR = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    "\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0004fffe\U0004ffff"
    "\U0005fffe\U0005ffff\U0006fffe\U0006ffff\U0007fffe\U0007ffff\U0008fffe\U0008ffff"
    "\U0009fffe\U0009ffff\U000afffe\U000affff\U000bfffe\U000bffff\U000cfffe\U000cffff"
    "\U000dfffe\U000dffff\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff]"
)
_STRING_FIELDS = ("text", "placeholder", "value", "label", "alt", "component")
_COLOR_FIELDS = ("bg", "color")


@dataclass(frozen=True)
class Problem:
    """A semantic problem at a path in the document."""

    path: Path
    message: str
    fix: str = ""


@dataclass(frozen=True)
class Visit:
    """One node met while walking a spec: where it is, its parent and enclosing repeat."""

    node: Any
    path: Path
    parent: Any
    repeat: Repeat | None
    depth: int


def walk(spec: Spec) -> Iterator[Visit]:
    """Every node depth-first with its document path, parent and enclosing repeat."""
    stack: list[Visit] = [Visit(spec.root, ("root",), None, None, 0)]
    while stack:
        visit = stack.pop()
        yield visit
        node = visit.node
        inner = node if isinstance(node, Repeat) else visit.repeat
        if isinstance(node, Repeat):
            kids = [(node.template, visit.path + ("template",))]
        else:
            kids = [(c, visit.path + ("children", i)) for i, c in enumerate(node_children(node))]
        for child, path in reversed(kids):
            stack.append(Visit(child, path, node, inner, visit.depth + 1))


def bad_char(text: str) -> str | None:
    """The first character no target can carry, as U+XXXX, or None."""
    match = BAD_CHAR.search(text)
    return f"U+{ord(match.group()):04X}" if match else None


def check(spec: Spec, targets: tuple[str, ...] = ()) -> list[Problem]:
    """All semantic problems of a schema-valid spec."""
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    count = 0
    for visit in walk(spec):
        count += 1
        if count > MAX_NODES:
            problems.append(Problem(visit.path, f"more than {MAX_NODES} nodes", "split the screen"))
            break
        if visit.depth > MAX_DEPTH:
            problems.append(Problem(visit.path, f"nesting deeper than {MAX_DEPTH}", "flatten the tree"))
            break
        problems += _check_node(spec, visit, seen, targets)
    problems += _color_refs(spec, ("bg",), spec.bg)
    return problems


def _check_node(spec: Spec, visit: Visit, seen: dict[str, Path], targets: tuple[str, ...]) -> list[Problem]:
    node, path = visit.node, visit.path
    out: list[Problem] = []
    if node.id in seen:
        out.append(Problem(path + ("id",), f"duplicate id {node.id!r} (first at {format_path(seen[node.id])})",
                           "give every node its own id"))
    else:
        seen[node.id] = path
    out += _placement(visit)
    out += _binding(visit)
    out += _rich(visit)
    if node.type in CONTAINER_TYPES and not node.children and TARGETS_WITHOUT_EMPTY_CONTAINERS & set(targets):
        out.append(Problem(path + ("children",), f"empty {node.type}: DivKit containers need at least one item",
                           "add a child or use a spacer"))
    if isinstance(node, Repeat) and visit.repeat is not None:
        out.append(Problem(path, "a repeat inside a repeat template is not supported", "flatten the items"))
    for field in _STRING_FIELDS:
        value = getattr(node, field, None)
        if isinstance(value, str) and (bad := bad_char(value)):
            out.append(Problem(path + (field,), f"contains the control or non-character {bad}",
                               "remove it; use \\n for line breaks"))
    if node.type == "input":
        for field in ("placeholder", "value"):
            if "\n" in (getattr(node, field) or ""):
                out.append(Problem(path + (field,), "an input holds one line of text", "remove the line breaks"))
    if isinstance(node, Repeat):
        for i, item in enumerate(node.items):
            for key, value in item.items():
                if bad := bad_char(value):
                    out.append(Problem(path + ("items", i, key), f"contains the control or non-character {bad}"))
    for field in _COLOR_FIELDS:
        out += _color_refs(spec, path + (field,), getattr(node, field, None))
    border = getattr(node, "border", None)
    if border is not None:
        out += _color_refs(spec, path + ("border", "color"), border.color)
    many = isinstance(getattr(node, "shadow", None), list)
    for i, shadow in enumerate(shadows(node)):
        out += _color_refs(spec, path + (("shadow", i, "color") if many else ("shadow", "color")), shadow.color)
    gradient = getattr(node, "gradient", None)
    for i, stop in enumerate(gradient.stops if gradient is not None else []):
        out += _color_refs(spec, path + ("gradient", "stops", i, "color"), stop.color)
    for name, items, key in (("spans", getattr(node, "spans", None), "color"), ("paths", getattr(node, "paths", None), "fill")):
        for i, item in enumerate(items or []):
            out += _color_refs(spec, path + (name, i, key), getattr(item, key))
    return out


def _color_refs(spec: Spec, path: Path, value: str | None) -> list[Problem]:
    if value and value.startswith("$") and value[1:] not in spec.colors:
        known = ", ".join(sorted(spec.colors)) or "none defined"
        return [Problem(path, f"colour token {value!r} is not in colors ({known})",
                        f"add {value[1:]}: '#RRGGBB' under colors, or write the hex colour")]
    return []


def _placement(visit: Visit) -> list[Problem]:
    node, path = visit.node, visit.path
    if (node.x is None) != (node.y is None):
        return [Problem(path, "x and y go together", "set both x and y, or neither")]
    if node.x is not None and visit.parent is None:
        return [Problem(path + ("x",), "the root cannot be positioned", "remove x and y")]
    if node.x is not None and isinstance(visit.parent, Repeat):
        return [Problem(path + ("x",), "a repeat template cannot be positioned", "remove x and y")]
    return []


def _rich(visit: Visit) -> list[Problem]:
    """Spans within the text, in order; pins only on placed nodes; variant strings safe."""
    node, path = visit.node, visit.path
    out = []
    if node.pin is not None and node.x is None:
        out.append(Problem(path + ("pin",), "pin applies to a node placed with x and y", "remove pin, or set x and y"))
    for key, value in (node.variant or {}).items():
        if bad := bad_char(key + value):
            out.append(Problem(path + ("variant", key), f"contains the control or non-character {bad}"))
    spans = getattr(node, "spans", None) or []
    if spans and node.bind is not None:
        out.append(Problem(path + ("spans",), "spans need the text itself, not a bind", "write text, or drop spans"))
    end = 0
    for i, span in enumerate(spans):
        if not end <= span.start < span.end <= len(node.text or ""):
            out.append(Problem(path + ("spans", i), f"span [{span.start}, {span.end}) is outside the text, "
                               "out of order or overlapping", f"keep 0 <= start < end <= {len(node.text or '')}, "
                               "each span after the one before"))
            break
        end = span.end
    return out


def _binding(visit: Visit) -> list[Problem]:
    node, path = visit.node, visit.path
    if node.type not in BINDABLE_TYPES:
        return []
    if (node.text is None) == (node.bind is None):
        return [Problem(path, f"a {node.type} needs exactly one of text or bind", "keep text, or bind inside a repeat")]
    if node.bind is None:
        return []
    if visit.repeat is None:
        return [Problem(path + ("bind",), f"bind {node.bind!r} outside a repeat template", "write text instead")]
    missing = [i for i, item in enumerate(visit.repeat.items) if node.bind not in item]
    if missing:
        return [Problem(path + ("bind",), f"bind {node.bind!r} is missing from repeat items {missing[:5]}",
                        f"give every item a {node.bind!r} field")]
    return []
