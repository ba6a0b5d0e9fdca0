"""Runs of look-alike siblings (same structure and style, different texts) -> one repeat."""

from __future__ import annotations

from typing import Any

from translators.baseline.roles import role
from translators.figma.nodes import FNode

MIN_COPIES = 3


def signature(node: FNode) -> tuple:
    """Everything that must match between copies; texts' content is left out."""
    if node.kind == "text":
        st = node.style
        return ("text", node.sizing, st.size, st.weight, st.color, st.align, st.line_height) if st else ("text",)
    lay = node.layout
    fixed = tuple(round(v) for v, mode in zip((node.w, node.h), node.sizing) if mode == "fixed")
    return (
        node.kind, node.component, node.sizing, fixed, node.absolute,
        (lay.mode, lay.gap, lay.pad, lay.main, lay.cross, lay.columns, lay.scroll) if lay else None,
        node.fill, node.glyph, node.radius, node.stroke, node.shadow, round(node.opacity, 2),
        tuple(signature(c) for c in node.children),
    )


def runs(children: list[FNode]) -> list[tuple[int, int]]:
    """[start, end) index ranges of >= MIN_COPIES consecutive look-alike structural siblings."""
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(children):
        j = i + 1
        if role(children[i]) is None and not children[i].absolute:
            sig = signature(children[i])
            while j < len(children) and signature(children[j]) == sig:
                j += 1
        if j - i >= MIN_COPIES:
            found.append((i, j))
            i = j
        else:
            i += 1
    return found


def differences(a: Any, b: Any, path: tuple = ()) -> list[tuple]:
    """Paths where two spec dicts differ (None marks a structural difference)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [None]
        return [p for k in a for p in differences(a[k], b[k], path + (k,))]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [None]
        return [p for i, (x, y) in enumerate(zip(a, b)) for p in differences(x, y, path + (i,))]
    return [] if a == b else [path]


def get(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def bind_template(copies: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, str]]] | None:
    """Template with `bind` fields and the items, if copies differ only in text/button labels."""
    paths: set[tuple] = set()
    for other in copies[1:]:
        for path in differences(copies[0], other):
            if path is None or path[-1] != "text" or get(copies[0], path[:-1]).get("type") not in ("text", "button"):
                return None
            paths.add(path)
    if not paths:
        return None
    ordered = sorted(paths, key=lambda p: [str(x).zfill(4) for x in p])
    template = _copy(copies[0])
    fields = []
    for path in ordered:
        holder = get(template, path[:-1])
        field = holder["id"]
        holder["bind"] = field
        del holder["text"]
        fields.append((field, path))
    items = [{field: get(copy, path) for field, path in fields} for copy in copies]
    return template, items


def _copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copy(v) for v in data]
    return data
