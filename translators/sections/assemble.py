"""Section specs -> one screen spec, deterministically.

Each section's spec is a screen of its own whose root is the layers' parent; the root's children
go where the plan's skeleton holds `{"section": i}` (the parent itself is the skeleton's, by
rules). `$colour` tokens are written out, and ids repeated across sections get `_2`, `_3`, ...
in document order.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from translators.sections.plan import PLACE_KEYS

_TOKEN = re.compile(r"^\$([a-z][a-z0-9_]*)$")
_REPEAT_KEYS = ("type", "id", "direction", "items", "template", "gap")


def section_nodes(section_spec: dict[str, Any]) -> list[dict[str, Any]]:
    """A section's spec (a parsed, valid screen whose root stands for the layers' parent) as
    the nodes to put in the parent: the root's children (or the root itself when the model
    made it a repeat or a leaf), `$colour` tokens written out."""
    root = _inline_tokens(copy.deepcopy(section_spec["root"]), section_spec.get("colors") or {})
    if "children" in root:
        return list(root["children"])
    if root.get("type") == "repeat":  # the parent's own box (padding, background) is the skeleton's
        return [{k: v for k, v in root.items() if k in _REPEAT_KEYS}]
    for key in PLACE_KEYS:
        root.pop(key, None)
    return [root]


def assemble(plan: dict[str, Any], nodes: list[Any]) -> dict[str, Any]:
    """The screen spec (a dict). Whole screen: `nodes[0]` is its spec. Else section i's nodes
    are `nodes[i]` (a list), or its rule-based nodes when None."""
    if plan["whole"]:
        if nodes[0] is None:
            raise ValueError("the whole-screen section has no spec")
        return nodes[0]
    spec = copy.deepcopy(plan["skeleton"])

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if not isinstance(value, list):
            return value
        out: list[Any] = []
        for entry in value:
            if isinstance(entry, dict) and set(entry) == {"section"}:
                i = entry["section"]
                out += copy.deepcopy(nodes[i] if nodes[i] is not None else plan["sections"][i]["fallback"])
            else:
                out.append(fill(entry))
        return out

    spec["root"] = fill(spec["root"])
    unique_ids(spec["root"])
    return spec


def unique_ids(root: dict[str, Any]) -> None:
    """Rename repeated ids in document order: the first keeps its id, later ones get `_2`, ..."""
    used: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        base = node.get("id", "node")
        candidate, n = base, 1
        while candidate in used:
            n += 1
            suffix = f"_{n}"
            candidate = base[:40 - len(suffix)] + suffix
        used.add(candidate)
        node["id"] = candidate
        kids = ([node["template"]] if isinstance(node.get("template"), dict) else []) + list(node.get("children") or [])
        stack.extend(reversed([k for k in kids if isinstance(k, dict)]))


def _inline_tokens(value: Any, colors: dict[str, str]) -> Any:
    if isinstance(value, str):
        match = _TOKEN.match(value)
        return colors.get(match.group(1), value) if match else value
    if isinstance(value, dict):
        return {k: _inline_tokens(v, colors) for k, v in value.items()}
    if isinstance(value, list):
        return [_inline_tokens(v, colors) for v in value]
    return value
