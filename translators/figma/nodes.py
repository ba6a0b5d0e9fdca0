"""Figma REST nodes -> a normalised tree (FNode): relative boxes, auto-layout, styles, warnings.

Invisible and zero-size nodes are dropped, vector art is reduced to a placeholder, and
anything malformed or unsupported becomes a warning (node id + layer path) and a placeholder
instead of an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from translators.figma import paint
from translators.figma.paint import Fill
from translators.ui_spec.semantics import BAD_CHAR

MAX_DEPTH = 60
_KINDS = {
    "FRAME": "frame", "COMPONENT": "frame", "COMPONENT_SET": "frame", "SECTION": "frame",
    "GROUP": "group", "INSTANCE": "instance", "TEXT": "text", "RECTANGLE": "rect",
    "ELLIPSE": "ellipse", "LINE": "line", "VECTOR": "vector", "BOOLEAN_OPERATION": "vector",
    "STAR": "vector", "REGULAR_POLYGON": "vector",
}
_SILENT_DROP = frozenset({"SLICE"})
_ALIGN = {"MIN": "start", "CENTER": "center", "MAX": "end", "SPACE_BETWEEN": "between", "BASELINE": "baseline"}
_SIZING = {"FIXED": "fixed", "HUG": "hug", "FILL": "fill"}


@dataclass(frozen=True)
class Warning:
    """Something in the input that was skipped or approximated."""

    node_id: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path} ({self.node_id}): {self.message}"


@dataclass
class Layout:
    """Auto-layout of a frame."""

    mode: str
    """column | row | wrap | grid"""
    gap: int = 0
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)
    main: str = "start"
    cross: str = "start"
    columns: int | None = None
    scroll: str | None = None
    """vertical | horizontal when the frame scrolls."""


@dataclass
class TextStyle:
    size: int = 16
    weight: int = 400
    color: str | None = None
    align: str = "left"
    line_height: int | None = None
    family: str | None = None


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
    fill: Fill | None = None
    stroke: tuple[int, str] | None = None
    radius: int | tuple[int, int, int, int] | None = None
    shadow: tuple[int, int, int, str] | None = None
    opacity: float = 1.0
    text: str | None = None
    style: TextStyle | None = None
    component: str | None = None
    glyph: str | None = None
    """Colour of vector art collapsed into this node (icons)."""
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

    def warn(self, node_id: str, path: str, message: str) -> None:
        self.warnings.append(Warning(node_id, path or "/", message))

    def convert(self, raw: dict[str, Any], parent: FNode | None, parent_path: str, depth: int) -> FNode | None:
        node_id = str(raw.get("id", "?"))
        name = str(raw.get("name", ""))
        path = f"{parent_path}/{name}" if parent_path else name
        figma_type = raw.get("type")
        if raw.get("visible") is False or _token(figma_type) in _SILENT_DROP:
            self.dropped += 1
            return None
        if isinstance(raw.get("opacity"), (int, float)) and raw["opacity"] <= 0:
            self.dropped += 1
            return None
        kind = _KINDS.get(figma_type) if isinstance(figma_type, str) else None
        if kind is None:
            self.warn(node_id, path, f"unsupported node type {figma_type!r}: kept as a placeholder box")
            kind = "placeholder"
        fnode = FNode(node_id, name, kind, path, figma_type=str(figma_type))
        if not self._place(fnode, raw, parent):
            self.dropped += 1
            return None
        self._style(fnode, raw)
        if kind == "text":
            self._text(fnode, raw)
        if kind == "instance":
            fnode.component = self.components.get(str(raw.get("componentId", ""))) or name
        if kind in ("frame", "group", "instance"):
            self._frame(fnode, raw, parent)
        self._own_sizing(fnode, raw)
        if kind in ("frame", "group", "instance"):
            self._children(fnode, raw, depth)
        elif kind == "vector":
            fnode.glyph = _vector_color(raw)
            self.dropped += _count(raw.get("children"))
        if isinstance(raw.get("rotation"), (int, float)) and abs(raw["rotation"]) > 0.01:
            self.warn(node_id, path, "rotated: the unrotated bounding box is used")
        return fnode

    def _place(self, fnode: FNode, raw: dict[str, Any], parent: FNode | None) -> bool:
        box = raw.get("absoluteBoundingBox")
        nums = [box.get(k) for k in ("x", "y", "width", "height")] if isinstance(box, dict) else []
        if len(nums) != 4 or not all(isinstance(v, (int, float)) for v in nums):
            self.warn(fnode.id, fnode.path, "no absoluteBoundingBox: node left out")
            return False
        x, y, w, h = (float(v) for v in nums)
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
        if fnode.kind not in ("text", "vector"):  # a vector's paint is its ink (glyph)
            fnode.fill = paint.top_fill(raw.get("fills"))
        fnode.stroke = paint.stroke(raw) if fnode.kind not in ("text", "vector") else None
        fnode.radius = paint.radius(raw)
        fnode.shadow = paint.shadow(raw)
        opacity = raw.get("opacity", 1.0)
        fnode.opacity = min(1.0, float(opacity)) if isinstance(opacity, (int, float)) else 1.0

    def _text(self, fnode: FNode, raw: dict[str, Any]) -> None:
        chars = raw.get("characters")
        if not isinstance(chars, str):
            self.warn(fnode.id, fnode.path, "TEXT without characters: empty text used")
            chars = ""
        fnode.text = _clean_text(chars)
        if fnode.text != chars.replace("\u2028", "\n").replace("\r\n", "\n").replace("\r", "\n"):
            self.warn(fnode.id, fnode.path, "control or non-characters removed from the text")
        style = raw.get("style") if isinstance(raw.get("style"), dict) else {}
        fill = paint.top_fill(raw.get("fills"))
        fnode.style = TextStyle(
            size=min(400, max(1, _int(style.get("fontSize"), 16))),
            weight=min(900, max(100, round(_int(style.get("fontWeight"), 400) / 100) * 100)),
            color=fill.color if fill else None,
            align={"CENTER": "center", "RIGHT": "right"}.get(_token(style.get("textAlignHorizontal")), "left"),
            line_height=_explicit_line_height(style),
            family=style.get("fontFamily") if isinstance(style.get("fontFamily"), str) else None,
        )
        if raw.get("characterStyleOverrides"):
            self.warn(fnode.id, fnode.path, "mixed text styles: the base style is used")
        resize = style.get("textAutoResize", raw.get("textAutoResize"))
        fnode.sizing = {"WIDTH_AND_HEIGHT": ("hug", "hug"), "HEIGHT": ("fixed", "hug")}.get(_token(resize), fnode.sizing)

    def _frame(self, fnode: FNode, raw: dict[str, Any], parent: FNode | None) -> None:
        mode = raw.get("layoutMode")
        if mode in ("HORIZONTAL", "VERTICAL", "GRID"):
            kind = {"VERTICAL": "column", "HORIZONTAL": "row", "GRID": "grid"}[mode]
            if kind == "row" and raw.get("layoutWrap") == "WRAP":
                kind = "wrap"
            fnode.layout = Layout(
                mode=kind,
                gap=round(_num(raw.get("itemSpacing"), 0)),
                pad=tuple(round(_num(raw.get(f"padding{s}"), 0)) for s in ("Top", "Right", "Bottom", "Left")),  # type: ignore[arg-type]
                main=_ALIGN.get(_token(raw.get("primaryAxisAlignItems")), "start"),
                cross=_ALIGN.get(_token(raw.get("counterAxisAlignItems")), "start"),
                columns=_int(raw.get("gridColumnCount"), 0) or None if kind == "grid" else None,
            )
            primary_hug = raw.get("primaryAxisSizingMode") == "AUTO"
            counter_hug = raw.get("counterAxisSizingMode") == "AUTO"
            horizontal = kind in ("row", "wrap")
            fnode.sizing = (
                "hug" if (primary_hug if horizontal else counter_hug) else "fixed",
                "hug" if (counter_hug if horizontal else primary_hug) else "fixed",
            )
        scroll = raw.get("overflowDirection")
        if isinstance(scroll, str) and scroll.endswith("SCROLLING") and fnode.layout is not None:
            fnode.layout.scroll = "horizontal" if scroll.startswith("HORIZONTAL_SCROLL") else "vertical"

    def _own_sizing(self, fnode: FNode, raw: dict[str, Any]) -> None:
        sizing = list(fnode.sizing)
        for axis, key in enumerate(("layoutSizingHorizontal", "layoutSizingVertical")):
            if _token(raw.get(key)) in _SIZING:
                sizing[axis] = _SIZING[raw[key]]
        fnode.sizing = (sizing[0], sizing[1])
        fnode.absolute = raw.get("layoutPositioning") == "ABSOLUTE"

    def _children(self, fnode: FNode, raw: dict[str, Any], depth: int) -> None:
        kids = raw.get("children", [])
        if not isinstance(kids, list):
            self.warn(fnode.id, fnode.path, "children is not a list: ignored")
            return
        if depth >= MAX_DEPTH:
            self.warn(fnode.id, fnode.path, f"nested deeper than {MAX_DEPTH}: children left out")
            self.dropped += len(kids)
            return
        if kids and _is_vector_art(kids):
            fnode.glyph = next((c for c in map(_vector_color, kids) if c), None) or "#000000"
            self.dropped += _count(kids)
            return  # an icon: its vector art is one placeholder
        for i, kid in enumerate(kids):
            if not isinstance(kid, dict):
                self.warn(fnode.id, fnode.path, f"child #{i} is not an object: ignored")
                continue
            child = self.convert(kid, fnode, fnode.path, depth + 1)
            if child is not None:
                if fnode.layout is None:
                    child.absolute = True
                fnode.children.append(child)
        _inherit_parent_sizing(fnode, raw)


def _inherit_parent_sizing(parent: FNode, raw: dict[str, Any]) -> None:
    """Old files say layoutGrow / layoutAlign on children instead of layoutSizing*."""
    if parent.layout is None:
        return
    horizontal = parent.layout.mode in ("row", "wrap")
    raw_kids = {str(k.get("id", "?")): k for k in raw.get("children", []) if isinstance(k, dict)}
    for child in parent.children:
        kid = raw_kids.get(child.id, {})
        sizing = list(child.sizing)
        if "layoutSizingHorizontal" not in kid and "layoutSizingVertical" not in kid:
            if kid.get("layoutGrow") == 1:
                sizing[0 if horizontal else 1] = "fill"
            if kid.get("layoutAlign") == "STRETCH":
                sizing[1 if horizontal else 0] = "fill"
        child.sizing = (sizing[0], sizing[1])


def _is_vector_art(kids: list[Any]) -> bool:
    """Only vectors, possibly inside unfilled frames/groups: an icon or a logo."""
    for kid in kids:
        if not isinstance(kid, dict):
            return False
        if kid.get("visible") is False or _KINDS.get(_token(kid.get("type"))) == "vector":
            continue
        holder = _KINDS.get(_token(kid.get("type"))) in ("frame", "group") and paint.top_fill(kid.get("fills")) is None
        if not (holder and isinstance(kid.get("children"), list) and kid["children"] and _is_vector_art(kid["children"])):
            return False
    return True


def _vector_color(raw: dict[str, Any]) -> str | None:
    fill = paint.top_fill(raw.get("fills")) or paint.top_fill(raw.get("strokes"))
    if fill and fill.color:
        return fill.color
    kids = raw.get("children") if isinstance(raw.get("children"), list) else []
    return next((c for c in (_vector_color(k) for k in kids if isinstance(k, dict)) if c), None)


def _clean_text(text: str) -> str:
    # Figma uses U+2028 for soft line breaks; controls cannot be carried by any target.
    text = text.replace("\u2028", "\n").replace("\r\n", "\n").replace("\r", "\n")
    return BAD_CHAR.sub("", text)


def _explicit_line_height(style: dict[str, Any]) -> int | None:
    """Only a line height the designer set (PIXELS or %); INTRINSIC_% means `auto`."""
    if style.get("lineHeightUnit", "INTRINSIC_%") == "INTRINSIC_%":
        return None
    return min(800, max(0, _int(style.get("lineHeightPx"), 0))) or None


def _token(value: Any) -> str:
    """An enum-like field as a string ('' when it is not one): lookups never see lists."""
    return value if isinstance(value, str) else ""


def _num(value: Any, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and abs(value) < 1e9 else default


def _int(value: Any, default: int) -> int:
    return round(value) if isinstance(value, (int, float)) and abs(value) < 1e9 else default


def _count(kids: Any) -> int:
    if not isinstance(kids, list):
        return 0
    return sum(1 + _count(k.get("children")) for k in kids if isinstance(k, dict))
