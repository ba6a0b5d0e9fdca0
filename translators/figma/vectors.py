"""Vector art: which layers are an icon, its ink colour, and its SVG paths when the file has them.

`fillGeometry` / `strokeGeometry` (GET /v1/files/:key?geometry=paths) are SVG path data in each
layer's own coordinates; the paths of an icon's layers are moved into the icon's box.
"""

from __future__ import annotations

import re
from typing import Any

from translators.figma import paint
from translators.figma.fields import box, kids, token

VECTOR_TYPES = frozenset({"VECTOR", "BOOLEAN_OPERATION", "STAR", "REGULAR_POLYGON", "LINE"})
_HOLDERS = frozenset({"FRAME", "COMPONENT", "COMPONENT_SET", "SECTION", "GROUP"})
PATH_RE = re.compile(r"^[MLHVCSQTAZmlhvcsqtaz0-9eE.,+\- ]{1,20000}$")
MAX_PATHS = 64


def is_vector_art(children: list[Any]) -> bool:
    """Only vectors, possibly inside unfilled frames/groups: an icon or a logo."""
    for kid in children:
        if not isinstance(kid, dict):
            return False
        if kid.get("visible") is False or token(kid.get("type")) in VECTOR_TYPES:
            continue
        holder = token(kid.get("type")) in _HOLDERS and paint.top_fill(kid.get("fills")) is None
        if not (holder and isinstance(kid.get("children"), list) and kid["children"] and is_vector_art(kid["children"])):
            return False
    return True


def vector_color(raw: dict[str, Any]) -> str | None:
    fill = paint.top_fill(raw.get("fills")) or paint.top_fill(raw.get("strokes"))
    if fill and fill.color:
        return fill.color
    return next((c for c in (vector_color(k) for k in kids(raw)) if c), None)


def vector_paths(layers: list[dict[str, Any]], left: float, top: float) -> list[dict[str, Any]]:
    """Every visible fill and stroke path below `layers`, offset into the box at (left, top)
    (absolute coordinates); [] when the file carries no geometry."""
    out: list[dict[str, Any]] = []
    todo = list(reversed(layers))
    while todo and len(out) < MAX_PATHS:
        layer = todo.pop()
        if layer.get("visible") is False:
            continue
        where = box(layer.get("absoluteBoundingBox"))
        dx, dy = (round(where[0] - left, 2), round(where[1] - top, 2)) if where else (0.0, 0.0)
        fill = paint.top_fill(layer.get("fills"))
        ink = paint.top_fill(layer.get("strokes"))
        for geometry, color in (("fillGeometry", fill), ("strokeGeometry", ink)):
            for part in layer.get(geometry) or [] if isinstance(layer.get(geometry), list) else []:
                data = part.get("path") if isinstance(part, dict) else None
                if isinstance(data, str) and PATH_RE.match(data) and color is not None and color.color:
                    rule = "evenodd" if part.get("windingRule") == "EVENODD" else "nonzero"
                    out.append({"d": data, "fill": color.color, "rule": rule, "x": dx, "y": dy})
        todo.extend(reversed(kids(layer)))
    return out[:MAX_PATHS]


def vector_losses(layers: list[dict[str, Any]]) -> list[str]:
    """What an icon's SVG paths leave out of its visible layers: gradients (a path has one colour)
    and effects (shadows, blurs)."""
    found: set[str] = set()
    todo = list(layers)
    while todo:
        layer = todo.pop()
        if layer.get("visible") is False:
            continue
        for key in ("fills", "strokes"):
            paints = layer.get(key) if isinstance(layer.get(key), list) else []
            if any(isinstance(p, dict) and p.get("visible") is not False and str(p.get("type", "")).startswith("GRADIENT")
                   for p in paints):
                found.add("gradient drawn in its first colour")
        effects = layer.get("effects") if isinstance(layer.get("effects"), list) else []
        found |= {str(e.get("type", "")).lower().replace("_", " ") + " left out" for e in effects
                  if isinstance(e, dict) and e.get("visible") is not False and e.get("type")}
        todo.extend(kids(layer))
    return [f"vector art: {note}" for note in sorted(found)]

