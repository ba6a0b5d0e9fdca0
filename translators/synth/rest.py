"""Write laid-out `D` trees as a Figma REST response (GET /v1/files/:key), with the fields and
noise a real export carries (blend modes, constraints, render bounds, style tables)."""

from __future__ import annotations

import zlib
from typing import Any

from translators.synth.design import D, rgba
from translators.synth.solve import layout, line_height

_AXIS_ALIGN = {"MIN", "CENTER", "MAX", "SPACE_BETWEEN", "BASELINE"}


class _Ids:
    def __init__(self, prefix: int):
        self.prefix, self.n = prefix, 0

    def next(self) -> str:
        self.n += 1
        return f"{self.prefix}:{self.n}"


def to_rest(screens: list[D], *, name: str = "Untitled", extra_pages: dict[str, list[D]] | None = None,
            origin: tuple[float, float] = (0.0, 0.0)) -> dict[str, Any]:
    """A files response whose first page holds `screens` side by side."""
    components: dict[str, dict[str, Any]] = {}
    pages = {"Screens": screens, **(extra_pages or {})}
    canvases = []
    for page_no, (page_name, nodes) in enumerate(pages.items()):
        ids = _Ids(page_no + 1)
        x = origin[0]
        children = []
        for node in nodes:
            layout(node)
            children.append(_node(node, ids, components, x, origin[1], None))
            x += node.fw + 100
        canvases.append({"id": f"0:{page_no + 1}", "name": page_name, "type": "CANVAS", "children": children,
                         "backgroundColor": rgba("#F5F5F5"), "prototypeStartNodeID": None,
                         "flowStartingPoints": [], "prototypeDevice": {"type": "NONE", "rotation": "NONE"}})
    return {
        "document": {"id": "0:0", "name": "Document", "type": "DOCUMENT", "scrollBehavior": "SCROLLS",
                     "children": canvases},
        "components": components, "componentSets": {}, "schemaVersion": 0, "styles": {},
        "name": name, "lastModified": "2025-01-15T10:00:00Z", "thumbnailUrl": "", "version": "1",
        "role": "viewer", "editorType": "figma", "linkAccess": "view",
    }


def _node(d: D, ids: _Ids, components: dict[str, dict[str, Any]], ox: float, oy: float,
          parent: D | None) -> dict[str, Any]:
    box = {"x": round(ox + d.ax, 2), "y": round(oy + d.ay, 2), "width": round(d.fw, 2), "height": round(d.fh, 2)}
    out: dict[str, Any] = {"id": ids.next(), "name": d.name, "type": d.type}
    if not d.visible:
        out["visible"] = False
    out.update({"scrollBehavior": "SCROLLS", "blendMode": "PASS_THROUGH" if d.type in ("FRAME", "GROUP", "INSTANCE")
                else "NORMAL", "absoluteBoundingBox": box, "absoluteRenderBounds": dict(box),
                "constraints": {"vertical": "TOP", "horizontal": "LEFT"}})
    if d.opacity != 1:
        out["opacity"] = d.opacity
    out["fills"] = d.fills if d.type != "TEXT" else [_text_paint(d)]
    out["strokes"] = d.strokes
    out["strokeWeight"] = d.stroke_weight
    out["strokeAlign"] = "INSIDE"
    out["effects"] = d.effects
    if isinstance(d.radius, tuple):
        out["rectangleCornerRadii"] = list(d.radius)
        out["cornerRadius"] = max(d.radius)
    elif d.radius:
        out["cornerRadius"] = d.radius
    if parent is not None and parent.layout is not None:
        _child_layout(out, d)
    if d.type == "TEXT":
        _text(out, d)
    if d.type in ("FRAME", "INSTANCE", "COMPONENT", "GROUP"):
        _frame(out, d)
    if d.type == "INSTANCE":
        comp_id = f"{zlib.crc32((d.component or '').encode()) % 9000 + 1000}:{len(d.component or '')}"
        components.setdefault(comp_id, {"key": comp_id.replace(":", ""), "name": d.component, "description": "",
                                        "remote": False, "documentationLinks": []})
        out["componentId"] = comp_id
        out["componentProperties"] = {}
        out["overrides"] = []
    if d.children:
        out["children"] = [_node(c, ids, components, ox, oy, d) for c in d.children]
    out.update(d.extra)
    return out


def _child_layout(out: dict[str, Any], d: D) -> None:
    if d.absolute:
        out["layoutPositioning"] = "ABSOLUTE"
    out["layoutAlign"] = "INHERIT"
    out["layoutGrow"] = 0
    out["layoutSizingHorizontal"] = d.sizing[0]
    out["layoutSizingVertical"] = d.sizing[1]


def _frame(out: dict[str, Any], d: D) -> None:
    out["clipsContent"] = d.type != "GROUP"
    out["background"] = list(d.fills)
    out["backgroundColor"] = d.fills[0]["color"] if d.fills and "color" in d.fills[0] else rgba("#00000000")
    if d.scroll:
        out["overflowDirection"] = d.scroll
    if d.layout is None:
        return
    out["layoutMode"] = d.layout
    horizontal = d.layout == "HORIZONTAL"
    out["primaryAxisSizingMode"] = "AUTO" if d.sizing[0 if horizontal else 1] == "HUG" else "FIXED"
    out["counterAxisSizingMode"] = "AUTO" if d.sizing[1 if horizontal else 0] == "HUG" else "FIXED"
    out["itemSpacing"] = d.gap
    out["paddingTop"], out["paddingRight"], out["paddingBottom"], out["paddingLeft"] = d.pad
    if d.main != "MIN" and d.main in _AXIS_ALIGN:
        out["primaryAxisAlignItems"] = d.main
    if d.cross != "MIN" and d.cross in _AXIS_ALIGN:
        out["counterAxisAlignItems"] = d.cross
    if d.wrap:
        out["layoutWrap"] = "WRAP"
    if d.layout == "GRID":
        out["gridColumnCount"] = d.columns
    out["layoutSizingHorizontal"] = out.get("layoutSizingHorizontal", d.sizing[0])
    out["layoutSizingVertical"] = out.get("layoutSizingVertical", d.sizing[1])


def _text_paint(d: D) -> dict[str, Any]:
    return {"blendMode": "NORMAL", "type": "SOLID", "color": rgba(d.text_color)}


def _text(out: dict[str, Any], d: D) -> None:
    size, weight = d.font
    resize = {"HUG": "WIDTH_AND_HEIGHT"}.get(d.sizing[0], "HEIGHT" if d.sizing[1] == "HUG" else "NONE")
    lh = line_height(d)
    out["characters"] = d.text
    out["style"] = {
        "fontFamily": "Inter", "fontPostScriptName": f"Inter-{_weight_name(weight)}", "fontWeight": weight,
        "textAutoResize": resize, "fontSize": size, "textAlignHorizontal": d.text_align,
        "textAlignVertical": "TOP", "letterSpacing": 0, "lineHeightPx": lh,
        "lineHeightPercent": 100, "lineHeightPercentFontSize": round(lh / size * 100, 4),
        "lineHeightUnit": "PIXELS" if d.line_height else "INTRINSIC_%",
    }
    out["layoutVersion"] = 4
    out["characterStyleOverrides"] = []
    out["styleOverrideTable"] = {}
    out["lineTypes"] = ["NONE"]
    out["lineIndentations"] = [0]


def _weight_name(weight: int) -> str:
    return {300: "Light", 400: "Regular", 500: "Medium", 600: "SemiBold", 700: "Bold", 800: "ExtraBold"}.get(
        weight, "Regular")
