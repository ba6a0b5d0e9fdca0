"""The fidelity reference, read from the raw Figma JSON of a frame (not from pipe's own
normalised tree), so that whatever ingest or a target drops lowers the score.

Every visible layer that paints something is an element: texts (with their styling) and boxes
(fills, strokes, effects, vector art), each carrying the features a faithful render must show
(`gradient`, `image`, `shadow`, `inner shadow`, `blur`, `background blur`, `border`, `dashed`,
`upper case`, `italic`, `underline`, `letter spacing`, `styled ranges`, `link`, …). The walk is
iterative: any depth.
"""

from __future__ import annotations

from typing import Any

from translators.checks.color import Rgb, parse_color
from translators.checks.fidelity import Element
from translators.figma.fields import node_type
from translators.figma.paint import hex_color
from translators.figma.vectors import VECTOR_TYPES, is_vector_art
_EFFECTS = {"DROP_SHADOW": "shadow", "INNER_SHADOW": "inner shadow", "LAYER_BLUR": "blur",
            "BACKGROUND_BLUR": "background blur"}
_CASES = {"UPPER": "upper case", "LOWER": "lower case", "TITLE": "title case"}
_DECORATIONS = {"UNDERLINE": "underline", "STRIKETHROUGH": "strikethrough"}


def reference_elements(frame: dict[str, Any]) -> list[Element]:
    """Texts and painted boxes of every visible layer below `frame` (boxes relative to it)."""
    origin = _box(frame.get("absoluteBoundingBox")) or (0.0, 0.0, 0.0, 0.0)
    out: list[Element] = []
    todo = _kids(frame)[::-1]
    while todo:
        node = todo.pop()
        if node.get("visible") is False or _num(node.get("opacity"), 1.0) <= 0:
            continue
        box = _box(node.get("absoluteBoundingBox"))
        kids = _kids(node)
        if box is not None:
            rel = (box[0] - origin[0], box[1] - origin[1], box[2], box[3])
            icon = bool(kids) and is_vector_art(kids)
            element = _element(node, rel, icon)
            if element is not None:
                out.append(element)
            if icon or node_type(node) in VECTOR_TYPES:
                continue  # vector art is one picture, as a designer sees an icon
        todo.extend(reversed(kids))
    return out


def _element(node: dict[str, Any], box: tuple[float, float, float, float], icon: bool) -> Element | None:
    label = f"{node.get('name', '')!s} ({node.get('id', '?')!s})"
    paints = [p for p in node.get("fills") or [] if isinstance(p, dict) and p.get("visible") is not False]
    if node_type(node) == "TEXT":
        chars = node.get("characters") if isinstance(node.get("characters"), str) else ""
        return Element("text", box, chars.replace("\u2028", "\n"), _paint_color(paints),
                       frozenset(_effects(node) | _text_features(node)), label)
    features = _effects(node) | _fill_features(paints) | _stroke_features(node)
    color = _paint_color(paints)
    if icon or node_type(node) in VECTOR_TYPES:
        color = color or _paint_color([p for p in node.get("strokes") or [] if isinstance(p, dict)])
        for layer in _layers(node) if icon else []:  # an icon shows the paint and effects of its art
            fills, strokes = ([p for p in layer.get(key) or [] if isinstance(p, dict) and p.get("visible") is not False]
                              for key in ("fills", "strokes"))
            features |= _effects(layer) | _fill_features(fills + strokes)
            color = color or _paint_color(fills) or _paint_color(strokes)  # the fill shows more than its outline
        return Element("box", box, None, color, frozenset(features - {"border"}), label)
    if color is None and not features:
        return None
    return Element("box", box, None, color, frozenset(features), label)


def _fill_features(paints: list[dict[str, Any]]) -> set[str]:
    kinds = {str(p.get("type", "")) for p in paints}
    out = {"gradient"} if any(k.startswith("GRADIENT") for k in kinds) else set()
    return out | ({"image"} if "IMAGE" in kinds else set())


def _stroke_features(node: dict[str, Any]) -> set[str]:
    strokes = [p for p in node.get("strokes") or [] if isinstance(p, dict) and p.get("visible") is not False]
    weights = node.get("individualStrokeWeights")
    weight = max(weights.values(), default=0) if isinstance(weights, dict) else node.get("strokeWeight", 1)
    if not strokes or not isinstance(weight, (int, float)) or weight <= 0 or _paint_color(strokes) is None:
        return set()
    return {"border", "dashed"} if node.get("strokeDashes") else {"border"}


def _effects(node: dict[str, Any]) -> set[str]:
    return {_EFFECTS[e["type"]] for e in node.get("effects") or []
            if isinstance(e, dict) and e.get("visible") is not False and e.get("type") in _EFFECTS}


def _text_features(node: dict[str, Any]) -> set[str]:
    style = node.get("style") if isinstance(node.get("style"), dict) else {}
    out = {f for key, table in (("textCase", _CASES), ("textDecoration", _DECORATIONS))
           if (f := table.get(str(style.get(key, ""))))}
    if style.get("italic") is True:
        out.add("italic")
    if abs(_num(style.get("letterSpacing"), 0.0)) >= 0.1:
        out.add("letter spacing")
    if isinstance(style.get("fontFamily"), str) and style["fontFamily"].strip():
        out.add(f"font {style['fontFamily'].strip()}")
    return out | _range_features(node, style)


def _range_features(node: dict[str, Any], style: dict[str, Any]) -> set[str]:
    """`styled ranges` when characters carry an override that styles them (not only a link);
    `link` when the text or a range links to an http(s) URL (prototype links to frames are not
    web links)."""
    table = node.get("styleOverrideTable") if isinstance(node.get("styleOverrideTable"), dict) else {}
    ids = node.get("characterStyleOverrides") if isinstance(node.get("characterStyleOverrides"), list) else []
    used = [table.get(str(i)) for i in set(ids) if isinstance(i, int) and i]
    used = [entry for entry in used if isinstance(entry, dict)]
    out = {"styled ranges"} if any(set(entry) - {"hyperlink"} for entry in used) else set()
    for link in (entry.get("hyperlink") for entry in [style, *used]):
        if isinstance(link, dict) and link.get("type") == "URL" and str(link.get("url", "")).startswith("http"):
            out.add("link")
    return out


def _paint_color(paints: list[dict[str, Any]]) -> Rgb | None:
    """What the eye sees of the top paint: a solid colour, or a gradient's mean stop colour."""
    for paint in reversed(paints):
        kind = str(paint.get("type", ""))
        opacity = _num(paint.get("opacity"), 1.0)
        if kind == "SOLID":
            color = parse_color(hex_color(paint.get("color"), opacity))
            if color is not None:
                return color
        elif kind.startswith("GRADIENT"):
            stops = [parse_color(hex_color(s.get("color"), opacity)) for s in paint.get("gradientStops") or []
                     if isinstance(s, dict)]
            stops = [s for s in stops if s is not None]
            if stops:
                return tuple(sum(c[i] for c in stops) / len(stops) for i in range(3))  # type: ignore[return-value]
        elif kind == "IMAGE":
            return None
    return None


def _layers(node: dict[str, Any]) -> list[dict[str, Any]]:
    """Visible layers below `node`, depth first."""
    out, todo = [], _kids(node)[::-1]
    while todo:
        layer = todo.pop()
        if layer.get("visible") is not False:
            out.append(layer)
            todo.extend(_kids(layer)[::-1])
    return out


def _kids(node: dict[str, Any]) -> list[dict[str, Any]]:
    kids = node.get("children")
    return [k for k in kids if isinstance(k, dict)] if isinstance(kids, list) else []


def _box(value: Any) -> tuple[float, float, float, float] | None:
    nums = [value.get(k) for k in ("x", "y", "width", "height")] if isinstance(value, dict) else []
    if len(nums) != 4 or not all(isinstance(v, (int, float)) and abs(v) < 1e9 for v in nums):
        return None
    w, h = float(nums[2]), float(nums[3])
    if max(w, h) <= 0 or min(w, h) < 0:
        return None
    return float(nums[0]), float(nums[1]), max(w, 1.0), max(h, 1.0)  # a line is drawn 1px thick


def _num(value: Any, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and abs(value) < 1e9 else default
