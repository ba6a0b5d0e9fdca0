"""Figma REST nodes as real exports carry them (absolute boxes, paints, strokes, per-corner radii,
shadows, text styles), for `real_like` screens. Boxes are absolute (the canvas' coordinates)."""

from __future__ import annotations

from typing import Any

from translators.synth.design import image_fill, rgba, solid
from translators.synth.real_copy import COMPONENTS, DEFAULTS, chance, copy_text, layer_name, pick

Node = dict[str, Any]
INKS = ["#000000", "#111827", "#1F2D27", "#333333", "#212121", "#6B7280", "#FFFFFF", "#EDF0EF", "#3300A0",
        "#2563EB", "#DC2626", "#059669"]
COLORS = ["#FFFFFF", "#F24E1E", "#A259FF", "#1ABCFE", "#0ACF83", "#FF7262", "#A4ABB3", "#C4C4C4", "#007BFF",
          "#28A745", "#DC3545", "#17A2B8", "#6C757D", "#3300A0", "#F5F5F5", "#FFC107", "#111827", "#E5E7EB",
          "#FDE68A", "#0F172A", "#FF0000", "#FAFAFA"]
FONTS = ["Inter", "Inter", "Roboto", "Roboto", "Helvetica Neue", "Raleway", "Poppins", "Open Sans", "Montserrat",
         "SF Pro Text", "Lato"]
SIZES = [10, 11, 12, 12, 13, 14, 14, 15, 16, 16, 18, 20, 24, 28, 32, 36, 48, 64, 120]
VECTORS = ["VECTOR", "VECTOR", "STAR", "REGULAR_POLYGON", "BOOLEAN_OPERATION"]
PINS = [("LEFT", "TOP"), ("SCALE", "SCALE"), ("CENTER", "SCALE"), ("RIGHT", "TOP"), ("LEFT_RIGHT", "BOTTOM"),
        ("CENTER", "CENTER"), ("LEFT", "TOP_BOTTOM")]
WEIGHTS = [100, 300, 400, 400, 400, 500, 600, 700, 700, 800, 900]


def _alpha(hex_color: str, alpha: float) -> dict[str, float]:
    return {**rgba(hex_color), "a": alpha}


class Maker:
    """Numbered ids and default names for one file."""

    def __init__(self, rng: Any):
        self.rng, self.n = rng, 0

    def base(self, figma_type: str, name: str, x: float, y: float, w: float, h: float) -> Node:
        self.n += 1
        box = {"x": round(x, 2), "y": round(y, 2), "width": round(w, 2), "height": round(h, 2)}
        horizontal, vertical = pick(self.rng, PINS) if chance(self.rng, 0.12) else PINS[0]
        return {"id": f"{int(self.rng.integers(1, 40))}:{self.n}", "name": name, "type": figma_type,
                "blendMode": "PASS_THROUGH" if figma_type in ("FRAME", "GROUP", "INSTANCE") else "NORMAL",
                "absoluteBoundingBox": box, "absoluteRenderBounds": dict(box),
                "constraints": {"vertical": vertical, "horizontal": horizontal}, "fills": [], "strokes": [],
                "strokeWeight": 1, "strokeAlign": "INSIDE", "effects": []}

    def name(self, kind: str) -> str:
        return layer_name(self.rng, kind, int(self.rng.integers(1, 200)))

    # paints and effects -------------------------------------------------------------------------

    def fills(self, image: float = 0.06, gradient: float = 0.15) -> list[dict[str, Any]]:
        rng = self.rng
        roll = rng.random()
        if roll < image:
            return [image_fill(f"{int(rng.integers(1 << 40, 1 << 48)):x}")]
        if roll < image + gradient:
            stops = sorted(float(rng.random()) for _ in range(int(rng.integers(0, 3))))
            at = [0.0, *[round(s, 4) for s in stops], 1.0]
            base = pick(rng, COLORS)
            colors = [_alpha(pick(rng, COLORS), pick(rng, [1.0, 1.0, 0.0, 0.5])) for _ in at]
            colors[0] = rgba(base)
            handles = pick(rng, [[{"x": 0.5, "y": 0}, {"x": 0.5, "y": 1}], [{"x": 0, "y": 0.5}, {"x": 1, "y": 0.5}],
                                 [{"x": 0, "y": 0}, {"x": 1, "y": 1}], [{"x": 0.1, "y": 0.8}, {"x": 0.9, "y": 0.2}]])
            kind = pick(rng, ["GRADIENT_LINEAR", "GRADIENT_LINEAR", "GRADIENT_RADIAL", "GRADIENT_ANGULAR",
                              "GRADIENT_DIAMOND"])
            return [{"blendMode": "NORMAL", "type": kind, "gradientHandlePositions": handles,
                     "gradientStops": [{"color": c, "position": p} for c, p in zip(colors, at)]}]
        if roll > 0.93:
            return []
        opacity = pick(rng, [1.0] * 8 + [0.5, 0.8, 0.25])
        return [solid(pick(rng, COLORS), opacity)]

    def decorate(self, node: Node, shadow: float = 0.25, stroke: float = 0.2, radius: float = 0.4) -> Node:
        """Strokes, radii, shadows, blur and opacity, each now and then."""
        rng = self.rng
        if chance(rng, stroke):
            node["strokes"] = [solid(pick(rng, INKS + COLORS))]
            node["strokeWeight"] = pick(rng, [1, 1, 1, 2, 3, 0.5, 4])
            if chance(rng, 0.15):
                node["strokeDashes"] = [4, 4]
            node["strokeAlign"] = pick(rng, ["INSIDE", "INSIDE", "OUTSIDE", "CENTER"])
        if chance(rng, radius):
            if chance(rng, 0.25):
                corners = [pick(rng, [0, 4, 8, 12, 16, 24]) for _ in range(4)]
                node["rectangleCornerRadii"] = corners
                node["cornerRadius"] = max(corners)
            else:
                node["cornerRadius"] = pick(rng, [2, 4, 6, 8, 10, 12, 16, 20, 24, 999])
        if chance(rng, shadow):
            node["effects"] = [self.effect() for _ in range(pick(rng, [1, 1, 1, 2]))]
        if chance(rng, 0.08):
            node["effects"].append({"type": pick(rng, ["LAYER_BLUR", "BACKGROUND_BLUR"]), "visible": True,
                                    "radius": pick(rng, [4, 8, 20])})
        if chance(rng, 0.1):
            node["opacity"] = pick(rng, [0.2, 0.4, 0.5, 0.65, 0.8, 0.9])
        return node

    def effect(self) -> dict[str, Any]:
        rng = self.rng
        inner = chance(rng, 0.2)
        color = _alpha(pick(rng, ["#000000", "#000000", "#C4C4C4", "#1F2937", "#2563EB"]),
                       pick(rng, [0.1, 0.17, 0.25, 0.5, 0.75, 1.0]))
        out = {"type": "INNER_SHADOW" if inner else "DROP_SHADOW", "visible": True, "color": color,
               "blendMode": "NORMAL", "offset": {"x": pick(rng, [0, 0, 0, 2, 3, -2]), "y": pick(rng, [0, 1, 2, 4, 8, 3])},
               "radius": pick(rng, [2, 3, 4, 5, 8, 12, 20, 24]), "showShadowBehindNode": False}
        if chance(rng, 0.2):
            out["spread"] = pick(rng, [1, 2, -2, 4])
        return out

    # leaves -------------------------------------------------------------------------------------

    def shape(self, x: float, y: float, w: float, h: float, figma_type: str | None = None) -> Node:
        rng = self.rng
        figma_type = figma_type or pick(rng, ["RECTANGLE"] * 5 + ["ELLIPSE", "ELLIPSE"] + VECTORS)
        kind = {"RECTANGLE": "Rectangle", "ELLIPSE": "Ellipse"}.get(figma_type, "Vector")
        node = self.base(figma_type, self.name(kind), x, y, w, h)
        node["fills"] = self.fills(image=0.08 if figma_type == "RECTANGLE" else 0.0)
        if figma_type in ("RECTANGLE", "ELLIPSE"):
            self.decorate(node, radius=0.4 if figma_type == "RECTANGLE" else 0.0)
        elif not node["fills"]:
            node["fills"] = [solid(pick(rng, INKS))]
        return node

    def line(self, x: float, y: float, w: float) -> Node:
        node = self.base("LINE", self.name("Line"), x, y, w, 0)
        node["strokes"] = [solid(pick(self.rng, ["#E5E7EB", "#C4C4C4", "#000000", "#D1D5DB"]))]
        node["strokeWeight"] = pick(self.rng, [1, 1, 2])
        return node

    def icon(self, x: float, y: float, size: float) -> Node:
        """A frame or instance holding only vectors: one picture with its ink."""
        rng = self.rng
        instance = chance(rng, 0.5)
        node = self.base("INSTANCE" if instance else "FRAME", pick(rng, ["Icon", "icon/close", "ic_search",
                                                                          "Frame 9", "arrow"]), x, y, size, size)
        ink = [solid(pick(rng, INKS))]
        parts = [self.base("VECTOR", "Vector", x + size * 0.2, y + size * 0.2, size * 0.6, size * 0.6)
                 for _ in range(pick(rng, [1, 1, 2]))]
        for part in parts:
            part["fills"] = ink
        node["children"] = parts
        if instance:
            node["componentId"] = pick(rng, ["Icon/Search", "Icon/Close", "Icon/Arrow", "Icon/Heart"])
        return node

    def text(self, x: float, y: float, text: str | None = None, size: int | None = None,
             width: float | None = None) -> Node:
        rng = self.rng
        text = text if text is not None else copy_text(rng)
        size = size or pick(rng, SIZES)
        lines = text.split("\n")
        natural = max(len(line) for line in lines) * size * 0.55 + 1
        fixed = width is not None or chance(rng, 0.3)
        w = round(width if width is not None else natural * (pick(rng, [1.0, 1.2, 1.6]) if fixed else 1.0))
        line_h = round(size * pick(rng, [1.2, 1.2, 1.25, 1.4, 1.5]))
        rows = len(lines) + (max(0, int(natural // max(w, 1))) if fixed else 0)
        node = self.base("TEXT", text if chance(rng, 0.7) else self.name("Text"), x, y, max(w, 1), line_h * rows)
        node["characters"] = text
        node["fills"] = [solid(pick(rng, INKS), pick(rng, [1.0] * 6 + [0.6]))]
        style = {"fontFamily": pick(rng, FONTS), "fontWeight": pick(rng, WEIGHTS), "fontSize": size,
                 "textAlignHorizontal": pick(rng, ["LEFT"] * 5 + ["CENTER", "CENTER", "RIGHT", "JUSTIFIED"]),
                 "textAlignVertical": "TOP", "letterSpacing": pick(rng, [0] * 6 + [0.5, -0.5, 1.2, 2]),
                 "lineHeightPx": line_h, "lineHeightUnit": pick(rng, ["INTRINSIC_%", "INTRINSIC_%", "PIXELS"]),
                 "textAutoResize": pick(rng, ["HEIGHT", "NONE"]) if fixed else "WIDTH_AND_HEIGHT"}
        if chance(rng, 0.1):
            style["textCase"] = pick(rng, ["UPPER", "LOWER", "TITLE"])
        if chance(rng, 0.06):
            style["textDecoration"] = pick(rng, ["UNDERLINE", "STRIKETHROUGH"])
        if chance(rng, 0.06):
            style["italic"] = True
        node["style"] = style
        if chance(rng, 0.1):
            node["opacity"] = pick(rng, [0.5, 0.7])
        return node

    def holder(self, figma_type: str, name: str, x: float, y: float, w: float, h: float,
               children: list[Node], layout: dict[str, Any] | None = None) -> Node:
        """A FRAME / GROUP / INSTANCE / COMPONENT around `children` (auto-layout when `layout`)."""
        node = self.base(figma_type, name, x, y, w, h)
        if figma_type != "GROUP":
            node["fills"] = self.fills(image=0.0, gradient=0.08) if chance(self.rng, 0.5) else []
            node["clipsContent"] = chance(self.rng, 0.5)
            self.decorate(node, shadow=0.2, stroke=0.15, radius=0.4)
        if figma_type == "INSTANCE":
            node["componentId"] = pick(self.rng, COMPONENTS)
        if layout:
            node.update(layout)
            for child in children:
                child.setdefault("layoutAlign", "INHERIT")
                child.setdefault("layoutGrow", 0)
        node["children"] = children
        return node


def shift(node: Node, dx: float, dy: float) -> None:
    """Move a node and everything inside it."""
    for key in ("absoluteBoundingBox", "absoluteRenderBounds"):
        node[key] = {**node[key], "x": round(node[key]["x"] + dx, 2), "y": round(node[key]["y"] + dy, 2)}
    for kid in node.get("children", []):
        shift(kid, dx, dy)


def default_name(rng: Any) -> str:
    return f"{pick(rng, DEFAULTS)} {int(rng.integers(1, 99))}"
