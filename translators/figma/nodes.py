"""Figma REST nodes -> a normalised tree (FNode): relative boxes, auto-layout, styles, warnings.

Invisible and zero-size nodes are dropped, vector art is reduced to a placeholder, and
anything malformed or unsupported becomes a warning (node id + layer path) and a placeholder
instead of an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from translators.figma import paint
from translators.figma.paint import Effects, Fill
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
    cross_gap: int = 0
    """Wrap: space between lines (counterAxisSpacing)."""
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
    italic: bool = False
    letter_spacing: float = 0.0
    case: str | None = None
    """upper | lower | title"""
    decoration: str | None = None
    """underline | strikethrough"""


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
            if fnode.fill is not None and fnode.fill.kind == "image" and fnode.children:
                self.warn(node_id, path, f"image fill (imageRef {fnode.fill.ref}) behind children is not drawn")
        elif kind == "vector":
            fnode.glyph = _vector_color(raw)
            self.dropped += _count(raw.get("children"))
        if isinstance(raw.get("rotation"), (int, float)) and abs(raw["rotation"]) > 0.01:
            self.warn(node_id, path, "rotated: the unrotated bounding box is used")
        return fnode

    def _place(self, fnode: FNode, raw: dict[str, Any], parent: FNode | None) -> bool:
        found = _box(raw.get("absoluteBoundingBox")) or _box(raw.get("absoluteRenderBounds"))
        if found is None:
            found = _children_box(raw)
            layers = 1 + _count(raw.get("children"))
            if found is None:
                self.warn(fnode.id, fnode.path, f"no absoluteBoundingBox, nor any child with one: {layers} "
                          "layer(s) left out (save the file with the REST API, which gives every node a box)")
                return False
            self.warn(fnode.id, fnode.path, "no absoluteBoundingBox: the box around its children is used")
        x, y, w, h = found
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
        fnode.stroke_look = paint.stroke_look(raw) if fnode.stroke else {}
        fnode.limits = tuple(_num(raw[k], 0) if isinstance(raw.get(k), (int, float)) else None  # type: ignore[assignment]
                             for k in ("minWidth", "maxWidth", "minHeight", "maxHeight"))
        fnode.radius = paint.radius(raw)
        fnode.shadow = paint.shadow(raw)
        fnode.effects = paint.effects(raw)
        if fnode.kind not in ("text", "vector"):
            fnode.gradient = paint.gradient(raw.get("fills"), fnode.w, fnode.h)
            if fnode.gradient is not None and fnode.fill is not None and fnode.fill.kind == "gradient":
                fnode.fill = paint.fill_under_gradient(raw.get("fills"))  # stacked: the paint it covers
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
            italic=style.get("italic") is True,
            letter_spacing=round(_num(style.get("letterSpacing"), 0.0), 2),
            case={"UPPER": "upper", "LOWER": "lower", "TITLE": "title"}.get(_token(style.get("textCase"))),
            decoration={"UNDERLINE": "underline", "STRIKETHROUGH": "strikethrough"}.get(
                _token(style.get("textDecoration"))),
        )
        if raw.get("characterStyleOverrides"):
            self.warn(fnode.id, fnode.path, "mixed text styles: the base style is used")
        if _num(style.get("paragraphSpacing"), 0) > 1:
            self.warn(fnode.id, fnode.path, f"paragraph spacing {style['paragraphSpacing']:g}px is not carried")
        if isinstance(style.get("hyperlink"), dict):
            self.warn(fnode.id, fnode.path, "link is not carried: the text is plain")
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
                cross_gap=max(0, round(_num(raw.get("counterAxisSpacing"), 0))) if kind == "wrap" else 0,
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
        if kids and is_vector_art(kids):
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


def _box(value: Any) -> tuple[float, float, float, float] | None:
    nums = [value.get(k) for k in ("x", "y", "width", "height")] if isinstance(value, dict) else []
    if len(nums) != 4 or not all(isinstance(v, (int, float)) and abs(v) < 1e9 for v in nums):
        return None
    return float(nums[0]), float(nums[1]), float(nums[2]), float(nums[3])


def _children_box(raw: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """The union of the nearest boxes below a node that has none (iterative: any depth)."""
    boxes, todo = [], [k for k in raw.get("children") or [] if isinstance(k, dict)] \
        if isinstance(raw.get("children"), list) else []
    while todo:
        kid = todo.pop()
        if kid.get("visible") is False:
            continue
        box = _box(kid.get("absoluteBoundingBox"))
        if box is not None:
            boxes.append(box)
        elif isinstance(kid.get("children"), list):
            todo.extend(k for k in kid["children"] if isinstance(k, dict))
    if not boxes:
        return None
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def is_vector_art(kids: list[Any]) -> bool:
    """Only vectors, possibly inside unfilled frames/groups: an icon or a logo."""
    for kid in kids:
        if not isinstance(kid, dict):
            return False
        if kid.get("visible") is False or _KINDS.get(_token(kid.get("type"))) == "vector":
            continue
        holder = _KINDS.get(_token(kid.get("type"))) in ("frame", "group") and paint.top_fill(kid.get("fills")) is None
        if not (holder and isinstance(kid.get("children"), list) and kid["children"] and is_vector_art(kid["children"])):
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
    """Layers in a subtree (iterative: any depth)."""
    total, todo = 0, [kids]
    while todo:
        items = todo.pop()
        for kid in items if isinstance(items, list) else []:
            if isinstance(kid, dict):
                total += 1
                todo.append(kid.get("children"))
    return total
