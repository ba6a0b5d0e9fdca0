"""Figma paints, strokes and effects as hex colours and small tuples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Fill:
    """The topmost visible paint of a node."""

    kind: str
    """solid | image | gradient"""
    color: str | None
    """#RRGGBB[AA]; for gradients the first stop."""


def _px(value: float, limit: int = 10000) -> int:
    return max(-limit, min(limit, round(value)))


def _unit(value: Any, default: float = 0.0) -> float:
    return min(1.0, max(0.0, float(value))) if isinstance(value, (int, float)) else default


def hex_color(color: Any, opacity: float = 1.0) -> str | None:
    """{r,g,b,a} floats 0..1 (times the paint's opacity) -> #RRGGBB, or #RRGGBBAA when not opaque."""
    if not isinstance(color, dict):
        return None
    r, g, b = (round(_unit(color.get(k)) * 255) for k in ("r", "g", "b"))
    alpha = round(_unit(color.get("a"), 1.0) * _unit(opacity, 1.0) * 255)
    head = f"#{r:02X}{g:02X}{b:02X}"
    return head if alpha == 255 else f"{head}{alpha:02X}"


def top_fill(paints: Any) -> Fill | None:
    """Figma lists paints bottom to top; the last visible one is what shows."""
    if not isinstance(paints, list):
        return None
    for paint in reversed(paints):
        if not isinstance(paint, dict) or paint.get("visible") is False:
            continue
        opacity = paint.get("opacity", 1.0)
        kind = str(paint.get("type", ""))
        if kind == "SOLID":
            color = hex_color(paint.get("color"), opacity)
            if color is not None and color[7:] != "00":  # a fully transparent paint shows nothing
                return Fill("solid", color)
        elif kind == "IMAGE":
            return Fill("image", None)
        elif kind.startswith("GRADIENT"):
            stops = paint.get("gradientStops") or []
            first = stops[0].get("color") if stops and isinstance(stops[0], dict) else None
            return Fill("gradient", hex_color(first, opacity))
    return None


def stroke(node: dict[str, Any]) -> tuple[int, str] | None:
    """(weight, colour) of the top visible solid stroke."""
    fill = top_fill(node.get("strokes"))
    weight = node.get("strokeWeight", 1)
    if fill is None or fill.color is None or not isinstance(weight, (int, float)) or not 0 < weight < 1e6:
        return None
    return max(1, min(64, round(weight))), fill.color


def radius(node: dict[str, Any]) -> int | tuple[int, int, int, int] | None:
    """cornerRadius, or rectangleCornerRadii [TL, TR, BR, BL] when they differ."""
    corners = node.get("rectangleCornerRadii")
    if isinstance(corners, list) and len(corners) == 4 and all(isinstance(c, (int, float)) for c in corners):
        values = tuple(max(0, _px(c)) for c in corners)
        if len(set(values)) > 1:
            return values  # type: ignore[return-value]
        return values[0] or None
    value = node.get("cornerRadius")
    return _px(value) if isinstance(value, (int, float)) and 0 < value < 1e9 else None


def shadow(node: dict[str, Any]) -> tuple[int, int, int, str] | None:
    """(x, y, blur, colour) of the first visible drop shadow."""
    for effect in node.get("effects") or []:
        if not isinstance(effect, dict) or effect.get("visible") is False:
            continue
        if effect.get("type") == "DROP_SHADOW":
            offset = effect.get("offset") or {}
            color = hex_color(effect.get("color")) or "#00000040"
            x, y = offset.get("x", 0), offset.get("y", 0)
            blur = effect.get("radius", 0)
            nums = [v if isinstance(v, (int, float)) and abs(v) < 1e9 else 0 for v in (x, y, blur)]
            return _px(nums[0], 500), _px(nums[1], 500), max(0, _px(nums[2], 500)), color
    return None
