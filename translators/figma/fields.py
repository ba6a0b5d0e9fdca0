"""Small readers for raw Figma REST fields: numbers, enum tokens, boxes, layer counts.

Every reader tolerates any JSON value (a hostile or truncated file never raises) and every walk
is iterative (any depth).
"""

from __future__ import annotations

from typing import Any

Box = tuple[float, float, float, float]


def token(value: Any) -> str:
    """An enum-like field as a string ('' when it is not one): lookups never see lists."""
    return value if isinstance(value, str) else ""


def node_type(raw: dict[str, Any]) -> Any:
    """The node's `type`. A client that re-serialises a response may drop it (the Dart `figma`
    package writes RECTANGLE and TEXT nodes without one): such a node is read from its own fields,
    `characters` as TEXT, `rectangleCornerRadii` as RECTANGLE, `fillGeometry` as VECTOR."""
    if "type" in raw:
        return raw["type"]
    if isinstance(raw.get("characters"), str):
        return "TEXT"
    if "rectangleCornerRadii" in raw:
        return "RECTANGLE"
    return "VECTOR" if isinstance(raw.get("fillGeometry"), list) and raw["fillGeometry"] else None


def num(value: Any, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and abs(value) < 1e9 else default


def integer(value: Any, default: int) -> int:
    return round(value) if isinstance(value, (int, float)) and abs(value) < 1e9 else default


def box(value: Any) -> Box | None:
    nums = [value.get(k) for k in ("x", "y", "width", "height")] if isinstance(value, dict) else []
    if len(nums) != 4 or not all(isinstance(v, (int, float)) and abs(v) < 1e9 for v in nums):
        return None
    return float(nums[0]), float(nums[1]), float(nums[2]), float(nums[3])


def size(raw: dict[str, Any]) -> tuple[float, float] | None:
    """The unrotated size (`size` of a geometry=paths response), when the file carries it."""
    value = raw.get("size")
    if isinstance(value, dict) and all(isinstance(value.get(k), (int, float)) and 0 <= value[k] < 1e9 for k in "xy"):
        return float(value["x"]), float(value["y"])
    return None


def children_box(raw: dict[str, Any]) -> Box | None:
    """The union of the nearest boxes below a node that has none."""
    boxes, todo = [], kids(raw)
    while todo:
        kid = todo.pop()
        if kid.get("visible") is False:
            continue
        found = box(kid.get("absoluteBoundingBox"))
        if found is not None:
            boxes.append(found)
        else:
            todo.extend(kids(kid))
    if not boxes:
        return None
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def kids(raw: dict[str, Any]) -> list[dict[str, Any]]:
    value = raw.get("children")
    return [k for k in value if isinstance(k, dict)] if isinstance(value, list) else []


def count(children: Any) -> int:
    """Layers in a subtree."""
    total, todo = 0, [children]
    while todo:
        items = todo.pop()
        for kid in items if isinstance(items, list) else []:
            if isinstance(kid, dict):
                total += 1
                todo.append(kid.get("children"))
    return total
