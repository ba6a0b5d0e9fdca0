"""Figma REST nodes -> a normalised tree (FNode): relative boxes, auto-layout, styles, warnings.

Invisible and zero-size nodes are dropped, vector art is reduced to one picture (its paths when
the file carries geometry, else a sized placeholder), and anything malformed or unsupported
becomes a warning (node id + layer path) instead of an exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from translators.figma import paint
from translators.figma.fields import box, children_box, count, kids, node_type, num, size, token
from translators.figma.frames import Layout, apply_frame, constraints, inherit_parent_sizing, own_sizing, variant
from translators.figma.paint import Effects, Fill
from translators.figma.text import TextStyle, read_text
from translators.figma.vectors import is_vector_art, vector_color, vector_losses, vector_paths

MAX_DEPTH = 60
KINDS = {
    "FRAME": "frame", "COMPONENT": "frame", "COMPONENT_SET": "frame", "SECTION": "frame",
    "GROUP": "group", "INSTANCE": "instance", "TEXT": "text", "RECTANGLE": "rect",
    "ELLIPSE": "ellipse", "LINE": "line", "VECTOR": "vector", "BOOLEAN_OPERATION": "vector",
    "STAR": "vector", "REGULAR_POLYGON": "vector",
}
_SILENT_DROP = frozenset({"SLICE"})
__all__ = ["FNode", "Layout", "Normalized", "TextStyle", "Warning", "is_vector_art", "normalize"]


APPROXIMATED_GRADIENTS = ("GRADIENT_ANGULAR", "GRADIENT_DIAMOND")


@dataclass(frozen=True)
class Warning:
    """Something in the input that was skipped or approximated."""

    node_id: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path} ({self.node_id}): {self.message}"


@dataclass
class FNode:
    """One visible node, positioned relative to its parent (x, y) and to the screen (bx, by)."""

    id: str
    name: str
    kind: str
    """frame | group | instance | text | rect | ellipse | vector | line | placeholder"""
    path: str
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    bx: float = 0.0
    by: float = 0.0
    layout: Layout | None = None
    sizing: tuple[str, str] = ("fixed", "fixed")
    absolute: bool = False
    pin: tuple[str, str] = ("left", "top")
    """Constraints of an out-of-flow child: left|right|center|stretch|scale, top|bottom|…"""
    fill: Fill | None = None
    stroke: tuple[int, str] | None = None
    stroke_look: dict[str, Any] = field(default_factory=dict)
    """The spec border's non-default `sides`, `style` (dashed) and `align` (outside/center)."""
    limits: tuple[float | None, float | None, float | None, float | None] = (None, None, None, None)
    """Auto-layout min/max width and height."""
    radius: int | tuple[int, int, int, int] | None = None
    shadow: tuple[int, int, int, str] | None = None
    gradient: dict[str, Any] | None = None
    """The spec's `gradient` (top gradient paint), painted over `fill`."""
    effects: Effects = field(default_factory=Effects)
    """Every shadow (top first) and the blurs."""
    opacity: float = 1.0
    rotation: int = 0
    """Degrees, counter-clockwise as Figma shows them; w/h are then the unrotated size."""
    clip: bool = False
    """clipsContent, kept only where a child reaches outside the box (where it shows)."""
    text: str | None = None
    style: TextStyle | None = None
    component: str | None = None
    variant: dict[str, str] = field(default_factory=dict)
    """An instance's variant and component properties (name -> value)."""
    glyph: str | None = None
    """Colour of vector art collapsed into this node (icons)."""
    paths: list[dict[str, Any]] = field(default_factory=list)
    """SVG paths of vector art, when the file carries geometry (geometry=paths)."""
    figma_type: str = ""
    children: list[FNode] = field(default_factory=list)


@dataclass
class Normalized:
    root: FNode
    warnings: list[Warning]
    dropped: int
    """Invisible, zero-size and non-visual nodes left out."""


def normalize(node: dict[str, Any], components: dict[str, str] | None = None) -> Normalized:
    """The FNode tree of one frame."""
    walker = _Walker(components or {})
    root = walker.convert(node, None, "", 0)
    if root is None:
        raise ValueError("the frame itself is invisible or has no size")
    return Normalized(root, walker.warnings, walker.dropped)


class _Walker:
    def __init__(self, components: dict[str, str]):
        self.components = components
        self.warnings: list[Warning] = []
        self.dropped = 0
        self._origin = (0.0, 0.0)

    def warn(self, node_id: str, path: str, message: str) -> None:
        self.warnings.append(Warning(node_id, path or "/", message))

    def convert(self, raw: dict[str, Any], parent: FNode | None, parent_path: str, depth: int) -> FNode | None:
        node_id, name = str(raw.get("id", "?")), str(raw.get("name", ""))
        path = f"{parent_path}/{name}" if parent_path else name
        figma_type = node_type(raw)
        opacity = raw.get("opacity")
        if raw.get("visible") is False or token(figma_type) in _SILENT_DROP or (
                isinstance(opacity, (int, float)) and opacity <= 0):
            self.dropped += 1
            return None
        kind = KINDS.get(token(figma_type))
        if kind is None:
            self.warn(node_id, path, f"unsupported node type {figma_type!r}: kept as a placeholder box")
            kind = "placeholder"
        elif "type" not in raw:
            self.warn(node_id, path, f"no `type` (the file was re-serialised by a client that drops it): "
                      f"read as {figma_type} from its fields")
        fnode = FNode(node_id, name, kind, path, figma_type=str(figma_type))
        if not self._place(fnode, raw, parent):
            self.dropped += 1
            return None
        self._style(fnode, raw)
        if kind == "text":
            self._text(fnode, raw)
        if kind == "instance":
            fnode.component = self.components.get(str(raw.get("componentId", ""))) or name
            fnode.variant = variant(raw)
        if kind in ("frame", "group", "instance"):
            apply_frame(fnode, raw)
        own_sizing(fnode, raw)
        if parent is not None:
            fnode.pin = constraints(raw)
        if kind in ("frame", "group", "instance"):
            self._children(fnode, raw, depth)
            fnode.clip = parent is not None and raw.get("clipsContent") is True and _overflows(fnode)  # a screen always clips
        elif kind == "vector":
            self._vector(fnode, [raw])
        return fnode

    def _place(self, fnode: FNode, raw: dict[str, Any], parent: FNode | None) -> bool:
        found = box(raw.get("absoluteBoundingBox")) or box(raw.get("absoluteRenderBounds"))
        if found is None:
            found = children_box(raw)
            layers = 1 + count(raw.get("children"))
            if found is None:
                self.warn(fnode.id, fnode.path, f"no absoluteBoundingBox, nor any child with one: {layers} "
                          "layer(s) left out (save the file with the REST API, which gives every node a box)")
                return False
            self.warn(fnode.id, fnode.path, "no absoluteBoundingBox: the box around its children is used")
        x, y, w, h = found
        fnode.rotation = _rotation(raw) if parent is not None else 0
        unrotated = size(raw) if fnode.rotation else None
        if unrotated is not None:  # the rotated layer's own size, centred where its bounding box is
            x, y, w, h = x + (w - unrotated[0]) / 2, y + (h - unrotated[1]) / 2, unrotated[0], unrotated[1]
        elif fnode.rotation:
            self.warn(fnode.id, fnode.path, f"rotated {fnode.rotation} degrees without `size` in the file: "
                      "drawn unrotated in its bounding box (save with geometry=paths)")
            fnode.rotation = 0
        fnode.w, fnode.h = max(w, 0.0), max(h, 0.0)
        if fnode.w < 0.01 and fnode.h < 0.01 or (fnode.kind != "line" and min(fnode.w, fnode.h) < 0.01):
            return False
        if parent is None:
            self._origin = (x, y)  # boxes are reported relative to the screen's top-left
        fnode.bx, fnode.by = x - self._origin[0], y - self._origin[1]
        fnode.x = fnode.bx - (parent.bx if parent else 0.0)
        fnode.y = fnode.by - (parent.by if parent else 0.0)
        return True

    def _style(self, fnode: FNode, raw: dict[str, Any]) -> None:
        fills = raw.get("fills") if "fills" in raw else raw.get("background")  # files before 2020: `background`
        if fnode.kind not in ("text", "vector"):  # a vector's paint is its ink (glyph)
            fnode.fill = paint.top_fill(fills)
        fnode.stroke = paint.stroke(raw) if fnode.kind not in ("text", "vector") else None
        fnode.stroke_look = paint.stroke_look(raw) if fnode.stroke else {}
        mean = paint.gradient_mean(raw.get("strokes")) if fnode.stroke else None
        if fnode.stroke and mean:
            fnode.stroke = (fnode.stroke[0], mean)
            self.warn(fnode.id, fnode.path, "gradient stroke drawn in the gradient's mean colour "
                      "(no target draws gradient borders)")
        fnode.limits = tuple(num(raw[k], 0) if isinstance(raw.get(k), (int, float)) else None  # type: ignore[assignment]
                             for k in ("minWidth", "maxWidth", "minHeight", "maxHeight"))
        fnode.radius = paint.radius(raw)
        fnode.shadow = paint.shadow(raw)
        fnode.effects = paint.effects(raw)
        if fnode.kind not in ("text", "vector"):
            fnode.gradient = paint.gradient(fills, fnode.w, fnode.h)
            if fnode.gradient is not None and paint.gradient_kind(fills) in APPROXIMATED_GRADIENTS:
                kind = str(paint.gradient_kind(fills)).removeprefix("GRADIENT_").lower()
                self.warn(fnode.id, fnode.path, f"{kind} gradient "
                          "drawn as a radial one (CSS and DivKit have no such gradient)")
            if fnode.gradient is not None and fnode.fill is not None and fnode.fill.kind == "gradient":
                fnode.fill = paint.fill_under_gradient(fills)  # stacked: the paint it covers
        opacity = raw.get("opacity", 1.0)
        fnode.opacity = min(1.0, float(opacity)) if isinstance(opacity, (int, float)) else 1.0

    def _text(self, fnode: FNode, raw: dict[str, Any]) -> None:
        read = read_text(raw)
        fnode.text, fnode.style = read.text, read.style
        for note in read.warnings:
            self.warn(fnode.id, fnode.path, note)
        style = raw.get("style") if isinstance(raw.get("style"), dict) else {}
        resize = style.get("textAutoResize", raw.get("textAutoResize"))
        fnode.sizing = {"WIDTH_AND_HEIGHT": ("hug", "hug"), "HEIGHT": ("fixed", "hug")}.get(token(resize), fnode.sizing)

    def _vector(self, fnode: FNode, parts: list[dict[str, Any]]) -> None:
        ink = next((c for c in map(vector_color, parts) if c), None)
        fnode.glyph = ink if fnode.kind == "vector" else ink or "#000000"  # an icon holder always shows
        fnode.paths = vector_paths(parts, fnode.bx + self._origin[0], fnode.by + self._origin[1])
        own = [{**parts[0], "effects": []}] if fnode.kind == "vector" else parts  # a vector's own effects are kept
        for note in vector_losses(own):
            self.warn(fnode.id, fnode.path, note)
        self.dropped += count(parts) - (1 if fnode.kind == "vector" else 0)
        fnode.sizing = tuple("fixed" if s == "hug" else s for s in fnode.sizing)  # type: ignore[assignment]
        # one picture now: nothing left inside for an auto-layout frame to hug

    def _children(self, fnode: FNode, raw: dict[str, Any], depth: int) -> None:
        if "children" in raw and not isinstance(raw["children"], list):
            self.warn(fnode.id, fnode.path, "children is not a list: ignored")
            return
        layers = kids(raw)
        if depth >= MAX_DEPTH:
            self.warn(fnode.id, fnode.path, f"nested deeper than {MAX_DEPTH}: children left out")
            self.dropped += len(layers)
            return
        if layers and is_vector_art(raw["children"]):
            self._vector(fnode, layers)
            return  # an icon: its vector art is one picture
        for i, kid in enumerate(raw["children"] if layers else []):
            if not isinstance(kid, dict):
                self.warn(fnode.id, fnode.path, f"child #{i} is not an object: ignored")
                continue
            child = self.convert(kid, fnode, fnode.path, depth + 1)
            if child is not None:
                if fnode.layout is None:
                    child.absolute = True
                fnode.children.append(child)
        inherit_parent_sizing(fnode, raw)


def _rotation(raw: dict[str, Any]) -> int:
    """Degrees counter-clockwise, from relativeTransform when present, else `rotation`
    (radians in REST responses)."""
    transform = raw.get("relativeTransform")
    try:
        (cos, sin, _), _ = transform  # [[cos, sin, tx], [-sin, cos, ty]] for a counter-clockwise turn
        degrees = math.degrees(math.atan2(float(sin), float(cos)))
    except (TypeError, ValueError):
        degrees = math.degrees(num(raw.get("rotation"), 0.0))
    degrees = round(degrees) % 360
    return degrees - 360 if degrees > 180 else degrees


def _overflows(node: FNode) -> bool:
    return any(c.x < -0.5 or c.y < -0.5 or c.x + c.w > node.w + 0.5 or c.y + c.h > node.h + 0.5 for c in node.children)
