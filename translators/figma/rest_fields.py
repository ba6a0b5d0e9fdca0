"""Every field of a Figma REST response that ingest reads, by the type that declares it in
Figma's published REST types (npm `@figma/rest-api-spec`, dist/api_types.ts).

tests/translators/figma/test_rest_types.py compiles these names against the published types
with tsc, so a misspelt or renamed field fails there (`background`, the frame paint of files
saved before 2020, is still declared, as deprecated).
"""

from __future__ import annotations

from translators.figma.nodes import KINDS

READS: dict[str, tuple[str, ...]] = {
    "GetFileResponse": ("document", "components", "componentSets", "name"),
    "GetFileNodesResponse": ("nodes", "name"),
    "Component": ("name", "componentSetId"),
    "ComponentSet": ("name",),
    "CanvasNode": ("children", "name", "id", "type"),
    "FrameNode": (
        "id", "name", "type", "visible", "opacity", "children", "absoluteBoundingBox", "absoluteRenderBounds",
        "fills", "strokes", "strokeWeight", "individualStrokeWeights", "strokeDashes", "strokeAlign",
        "cornerRadius", "rectangleCornerRadii", "effects", "clipsContent", "layoutMode", "layoutWrap",
        "itemSpacing", "counterAxisSpacing", "paddingTop", "paddingRight", "paddingBottom", "paddingLeft",
        "primaryAxisAlignItems", "counterAxisAlignItems", "primaryAxisSizingMode", "counterAxisSizingMode",
        "itemReverseZIndex", "overflowDirection", "layoutSizingHorizontal", "layoutSizingVertical",
        "layoutPositioning", "layoutGrow", "layoutAlign", "minWidth", "maxWidth", "minHeight", "maxHeight",
        "constraints", "rotation", "relativeTransform", "size", "background",
    ),
    "InstanceNode": ("componentId", "componentProperties"),
    "ComponentProperty": ("type", "value"),
    "TextNode": ("characters", "style", "characterStyleOverrides", "styleOverrideTable", "fills"),
    "TypeStyle": (
        "fontFamily", "fontWeight", "fontSize", "italic", "textAlignHorizontal", "letterSpacing", "lineHeightPx",
        "lineHeightUnit", "textCase", "textDecoration", "paragraphSpacing", "hyperlink", "textAutoResize", "fills",
    ),
    "Hyperlink": ("type", "url", "nodeID"),
    "VectorNode": ("fillGeometry", "strokeGeometry"),
    "Path": ("path", "windingRule"),
    "SolidPaint": ("type", "visible", "opacity", "color"),
    "GradientPaint": ("type", "gradientStops", "gradientHandlePositions"),
    "ImagePaint": ("type", "imageRef", "scaleMode"),
    "ColorStop": ("color", "position"),
    "DropShadowEffect": ("type", "visible", "radius", "offset", "spread", "color"),
    "BlurEffect": ("type", "radius"),
    "LayoutConstraint": ("horizontal", "vertical"),
    "Rectangle": ("x", "y", "width", "height"),
    "RGBA": ("r", "g", "b", "a"),
}

NODE_TYPES: tuple[str, ...] = tuple(sorted({*KINDS, "SLICE", "DOCUMENT", "CANVAS"}))
"""Every `type` ingest tells apart."""
