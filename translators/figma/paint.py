"""Figma paints, strokes and effects as hex colours and small tuples."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

IMAGE_REF = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


@dataclass(frozen=True)
class Fill:
    """The topmost visible paint of a node."""

    kind: str
    """solid | image | gradient"""
    color: str | None
    """#RRGGBB[AA]; for gradients the first stop."""
    ref: str | None = None
    """An image paint's `imageRef` (the key of GET /v1/files/:key/images)."""


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
            ref = paint.get("imageRef")
            return Fill("image", None, ref if isinstance(ref, str) and IMAGE_REF.match(ref) else None)
        elif kind.startswith("GRADIENT"):
            stops = paint.get("gradientStops") or []
            first = stops[0].get("color") if stops and isinstance(stops[0], dict) else None
            return Fill("gradient", hex_color(first, opacity))
    return None


def gradient_mean(paints: Any) -> str | None:
    """The mean stop colour of the top visible gradient: what the eye sees of it in one colour."""
    for paint in reversed(paints if isinstance(paints, list) else []):
        if isinstance(paint, dict) and paint.get("visible") is not False:
            stops = [s.get("color") for s in paint.get("gradientStops") or []
                     if isinstance(s, dict) and isinstance(s.get("color"), dict)]
            if not str(paint.get("type", "")).startswith("GRADIENT") or not stops:
                return None
            mean = {k: sum(_unit(c.get(k), 1.0) for c in stops) / len(stops) for k in "rgba"}
            return hex_color(mean, paint.get("opacity", 1.0))
    return None


def fill_under_gradient(paints: list[Any]) -> Fill:
    """The solid or image paint below the top gradient (stacked fills), else a colourless gradient fill."""
    top = max(i for i, p in enumerate(paints) if isinstance(p, dict) and p.get("visible") is not False
              and str(p.get("type", "")).startswith("GRADIENT"))
    below = [p for p in paints[:top] if isinstance(p, dict) and not str(p.get("type", "")).startswith("GRADIENT")]
    return top_fill(below) or Fill("gradient", None)


def stroke(node: dict[str, Any]) -> tuple[int, str] | None:
    """(weight, colour) of the top visible solid stroke."""
    fill = top_fill(node.get("strokes"))
    weight = node.get("strokeWeight", 1)
    sides = node.get("individualStrokeWeights")
    if isinstance(sides, dict) and all(isinstance(v, (int, float)) for v in sides.values()) and sides:
        weight = max(sides.values())  # per-side widths: the widest is the border's width
    if fill is None or fill.color is None or not isinstance(weight, (int, float)) or not 0 < weight < 1e6:
        return None
    return max(1, min(64, round(weight))), fill.color


def stroke_look(node: dict[str, Any]) -> dict[str, Any]:
    """What the spec's border needs beyond width and colour: per-side widths, dashes, alignment."""
    out: dict[str, Any] = {}
    sides = node.get("individualStrokeWeights")
    if isinstance(sides, dict):
        widths = [sides.get(k) for k in ("top", "right", "bottom", "left")]
        if all(isinstance(w, (int, float)) and 0 <= w < 1e6 for w in widths) and len(set(widths)) > 1:
            out["sides"] = [max(0, min(64, round(w))) for w in widths]
    if isinstance(node.get("strokeDashes"), list) and node["strokeDashes"]:
        out["style"] = "dashed"
    align = {"OUTSIDE": "outside", "CENTER": "center"}.get(str(node.get("strokeAlign", "")))
    if align and "sides" not in out:
        out["align"] = align
    return out


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


@dataclass(frozen=True)
class Effects:
    """Every visible effect of a node: shadows top first, in the spec's shape, and blurs."""

    shadows: tuple[dict[str, Any], ...] = ()
    blur: int | None = None
    backdrop_blur: int | None = None


def effects(node: dict[str, Any]) -> Effects:
    """Drop and inner shadows (with spread) and layer/background blur; Figma lists effects
    bottom to top, CSS box-shadow top first."""
    shadows, blur, backdrop = [], None, None
    for effect in node.get("effects") or []:
        if not isinstance(effect, dict) or effect.get("visible") is False:
            continue
        kind = effect.get("type")
        radius = effect.get("radius", 0)
        radius = max(0, _px(radius, 500)) if isinstance(radius, (int, float)) and abs(radius) < 1e9 else 0
        if kind in ("DROP_SHADOW", "INNER_SHADOW"):
            offset = effect.get("offset") if isinstance(effect.get("offset"), dict) else {}
            x, y, spread = (offset.get("x", 0), offset.get("y", 0), effect.get("spread", 0))
            x, y, spread = (_px(v, 500) if isinstance(v, (int, float)) and abs(v) < 1e9 else 0 for v in (x, y, spread))
            shadow = {"x": x, "y": y, "blur": radius, "spread": spread,
                      "color": hex_color(effect.get("color")) or "#00000040"}
            shadows.append({**shadow, "inset": True} if kind == "INNER_SHADOW" else shadow)
        elif kind == "LAYER_BLUR" and radius:
            blur = min(250, radius)
        elif kind == "BACKGROUND_BLUR" and radius:
            backdrop = min(250, radius)
    return Effects(tuple(reversed(shadows)), blur, backdrop)


def gradient_kind(paints: Any) -> str | None:
    """The Figma type of the top visible gradient paint (`GRADIENT_ANGULAR`, ...), if any."""
    for paint in reversed(paints if isinstance(paints, list) else []):
        if isinstance(paint, dict) and paint.get("visible") is not False \
                and str(paint.get("type", "")).startswith("GRADIENT"):
            return str(paint["type"])
    return None


def gradient(paints: Any, width: float, height: float) -> dict[str, Any] | None:
    """The top visible linear/radial gradient as the spec's `gradient` (CSS angle, stops 0..1);
    angular and diamond gradients are drawn radial."""
    if not isinstance(paints, list):
        return None
    for paint in reversed(paints):
        if not isinstance(paint, dict) or paint.get("visible") is False:
            continue
        kind = str(paint.get("type", ""))
        if not kind.startswith("GRADIENT"):
            continue
        opacity = paint.get("opacity", 1.0)
        stops = [{"color": hex_color(s.get("color"), opacity), "at": round(_unit(s.get("position")), 4)}
                 for s in paint.get("gradientStops") or [] if isinstance(s, dict) and isinstance(s.get("color"), dict)]
        if len(stops) < 2:
            return None
        stops = sorted(stops, key=lambda s: s["at"])[:16]
        if kind != "GRADIENT_LINEAR":
            return {"kind": "radial", "stops": stops}
        return {"kind": "linear", "angle": _css_angle(paint.get("gradientHandlePositions"), width, height), "stops": stops}
    return None


def _css_angle(handles: Any, width: float, height: float) -> int:
    """CSS degrees (0 = to top, clockwise) of the line from the first handle to the second."""
    try:
        (x0, y0), (x1, y1) = ((float(h["x"]), float(h["y"])) for h in handles[:2])
    except (TypeError, KeyError, ValueError, IndexError):
        return 180
    dx, dy = (x1 - x0) * max(width, 1.0), (y1 - y0) * max(height, 1.0)
    if dx == 0 and dy == 0:
        return 180
    return round(math.degrees(math.atan2(dx, -dy))) % 360
