"""Spec -> a DivKit card: JSON, and TypeScript through `@divkitframework/jsonbuilder`.

Sizes map fill/hug/px onto match_parent/wrap_content/fixed; columns and rows become
vertical/horizontal containers, stacks and out-of-flow children overlap containers with
margins. Repeats are expanded (ids `id-0`, `id-1`, ...).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from translators.targets.css import color as resolve
from translators.targets.css import divider_horizontal, overlap_margin
from translators.targets.elements import El, leaf
from translators.targets.divkit_ir import Call, New, classes_used, to_json, to_ts
from translators.targets.elements import bound_text
from translators.targets.escape import html_attr, ident
from translators.ui_spec.models import CONTAINER_TYPES, Repeat, Spec, shadows

# A 1x1 transparent PNG: DivKit images need a URL and designs carry no image files.
PLACEHOLDER_IMAGE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
_MAIN = {"start": "start", "center": "center", "end": "end", "between": "space-between"}
_H = {"start": "left", "center": "center", "end": "right", "space-between": "space-between"}
_V = {"start": "top", "center": "center", "end": "bottom", "space-between": "space-between"}
_KEYBOARD = {"text": "single_line_text", "email": "email", "password": "password", "search": "single_line_text",
             "number": "number", "tel": "phone"}


def argb(value: str) -> str:
    """DivKit colours are #AARRGGBB."""
    return f"#{value[7:9]}{value[1:7]}" if len(value) == 9 else value


def build_card(spec: Spec) -> tuple[dict[str, Any], list[New]]:
    """(card IR, variables) for one spec."""
    ctx = _Ctx(spec)
    div = ctx.node(spec.root, None, "", None)
    card: dict[str, Any] = {"log_id": spec.screen}
    if ctx.variables:
        card["variables"] = ctx.variables
    card["states"] = [{"state_id": 0, "div": div}]
    return card, ctx.variables


def render_divkit_json(spec: Spec) -> str:
    card, _ = build_card(spec)
    return json.dumps({"templates": {}, "card": to_json(card)}, ensure_ascii=False, indent=1) + "\n"


def render_divkit_ts(spec: Spec) -> str:
    card, _ = build_card(spec)
    names = sorted(classes_used(card) | {"divCard"})
    return (
        f'import {{ {", ".join(names)} }} from "@divkitframework/jsonbuilder";\n\n'
        f"export const card = divCard({{}}, {to_ts(card)});\n\nexport default card;\n"
    )


class _Ctx:
    def __init__(self, spec: Spec):
        self.spec = spec
        self.variables: list[New] = []

    def color(self, value: str | None) -> str | None:
        hex_value = resolve(self.spec, value)
        return argb(hex_value) if hex_value else None

    def node(self, node: Any, parent: Any, suffix: str, item: dict[str, str] | None) -> New:
        props: dict[str, Any] = {"id": ident(node.id) + suffix}
        if isinstance(node, Repeat):
            div = self._repeat(node, props, suffix)
        elif node.type in CONTAINER_TYPES:
            div = self._container(node, props, suffix, item)
        else:
            div = self._leaf(node, props, parent, item)
        self._size(div, node, parent)
        self._decorate(div, node, parent)
        self._figma(div, node)
        return div

    def _figma(self, div: New, node: Any) -> None:
        """Rotation, and where the node came from (component, variant, image ref) as an extension."""
        if node.rotate:
            div.props["transform"] = {"rotation": node.rotate}
        params: dict[str, Any] = {}
        if node.component:
            params["component"] = node.component
        if node.variant:
            params["variant"] = dict(node.variant)
        image = getattr(node, "bg_image", None)
        if image is not None and image.ref:
            params["image_ref"] = image.ref
        if params:
            div.props["extensions"] = [{"id": "figma", "params": params}]

    def _children(self, node: Any, suffix: str, item: dict[str, str] | None) -> list[New]:
        return [self.node(c, node, suffix, item) for c in node.children]

    def _repeat(self, node: Repeat, props: dict[str, Any], suffix: str) -> New:
        props["orientation"] = "horizontal" if node.direction == "row" else "vertical"
        props["items"] = [self.node(node.template, node, f"{suffix}-{i}", entry) for i, entry in enumerate(node.items)]
        self._flex(props, node, node.direction == "row")
        return New("DivContainer", props)

    def _container(self, node: Any, props: dict[str, Any], suffix: str, item: dict[str, str] | None) -> New:
        kids = self._children(node, suffix, item)
        if node.type == "grid":
            props.update({"column_count": node.columns, "items": kids})
            return New("DivGrid", props)
        if node.type == "scroll":
            props.update({"orientation": node.direction, "items": kids})
            if node.gap:
                props["item_spacing"] = node.gap
            return New("DivGallery", props)
        horizontal = node.type in ("row", "wrap")
        flow = [k for k, c in zip(kids, node.children) if c.x is None]
        placed = [k for k, c in zip(kids, node.children) if c.x is not None]
        if node.type == "stack" or not placed:
            props["orientation"] = "overlap" if node.type == "stack" else ("horizontal" if horizontal else "vertical")
            props["items"] = kids
            if node.type == "wrap":
                props["layout_mode"] = "wrap"
            self._flex(props, node, horizontal)
            return New("DivContainer", props)
        # out-of-flow children: an overlap container around the flowing ones
        inner: dict[str, Any] = {"orientation": "horizontal" if horizontal else "vertical", "items": flow or [
            New("DivSeparator", {"delimiter_style": {"color": "#00000000"}})],
            "width": Call("matchParent"), "height": Call("matchParent")}
        if node.type == "wrap":
            inner["layout_mode"] = "wrap"
        self._flex(inner, node, horizontal)
        props.update({"orientation": "overlap", "items": [New("DivContainer", inner), *placed]})
        return New("DivContainer", props)

    def _flex(self, props: dict[str, Any], node: Any, horizontal: bool) -> None:
        if node.gap and node.gap > 0 and props.get("orientation") != "overlap":
            props["item_spacing"] = node.gap  # a negative gap: margins on the children (see _size)
        if node.type == "wrap" and node.cross_gap:
            props["line_spacing"] = node.cross_gap
        if node.pad is not None:
            props["paddings"] = _insets(node.pad)
        main = _MAIN[node.align or "start"]
        cross = node.cross or "start"
        if horizontal:
            props["content_alignment_horizontal"] = _H[main]
            props["content_alignment_vertical"] = {"baseline": "baseline", "stretch": "top"}.get(cross, _V.get(cross, "top"))
        else:
            props["content_alignment_vertical"] = _V[main]
            props["content_alignment_horizontal"] = _H.get(cross, "left")

    def _font(self, props: dict[str, Any], node: Any) -> None:
        if node.size:
            props["font_size"] = node.size
        if node.weight:
            props["font_weight_value"] = node.weight
        if node.color:
            props["text_color"] = self.color(node.color)
        if node.font:
            props["font_family"] = node.font  # FONT_RE: plain letters, digits, spaces
        if node.letter_spacing:
            props["letter_spacing"] = node.letter_spacing
        if node.decoration:
            props["underline" if node.decoration == "underline" else "strike"] = "single"

    def _leaf(self, node: Any, props: dict[str, Any], parent: Any, item: dict[str, str] | None) -> New:
        kind = node.type
        if kind in ("text", "button"):
            props["text"] = bound_text(node, item)
            self._font(props, node)
            if kind == "text":
                self._rich(props, node)
                if node.text_align:
                    props["text_alignment_horizontal"] = "left" if node.text_align == "justify" else node.text_align
                if node.line_height:
                    props["line_height"] = node.line_height
                if node.max_lines:
                    props["max_lines"] = node.max_lines
            else:
                props.update({"text_alignment_horizontal": "center", "text_alignment_vertical": "center",
                              "accessibility": {"type": "button", "description": props["text"]}})
                if node.pad is not None:
                    props["paddings"] = _insets(node.pad)
            return New("DivText", props)
        if kind == "input":
            return self._input(node, props)
        if kind in ("checkbox", "switch"):
            return self._toggle(node, props)
        if kind == "vector":
            svg = _render_svg(leaf(self.spec, node, None))
            props["image_url"] = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
            props.update({"scale": "fit", "accessibility": {"description": node.alt}})
            return New("DivImage", props)
        if kind in ("image", "icon"):
            props["image_url"] = (node.src if kind == "image" else None) or PLACEHOLDER_IMAGE
            props["accessibility"] = {"description": node.alt if kind == "image" else node.name}
            if kind == "image":
                props.update({"scale": "fill" if node.fit == "cover" else "fit", "placeholder_color": "#FFE5E7EB"})
            elif node.color:
                props["tint_color"] = self.color(node.color)
            return New("DivImage", props)
        if kind == "spacer":  # an invisible separator keeps the space
            props["delimiter_style"] = {"color": "#00000000"}
            return New("DivSeparator", props)
        horizontal = divider_horizontal(node, parent)
        style = {"color": self.color(node.color) or "#FFE5E7EB", "orientation": "horizontal" if horizontal else "vertical"}
        props["delimiter_style"] = style
        return New("DivSeparator", props)

    def _rich(self, props: dict[str, Any], node: Any) -> None:
        """Styled ranges and links (DivKit draws no paragraph spacing and no italic range)."""
        if node.link:
            props["action"] = {"log_id": "link", "url": node.link}
        ranges = []
        for span in node.spans or []:
            out: dict[str, Any] = {"start": span.start, "end": span.end}
            for key, prop in (("weight", "font_weight_value"), ("size", "font_size"), ("font", "font_family")):
                if getattr(span, key) is not None:
                    out[prop] = getattr(span, key)
            if span.color:
                out["text_color"] = self.color(span.color)
            if span.decoration:
                out["underline" if span.decoration == "underline" else "strike"] = "single"
            if span.link:
                out["actions"] = [{"log_id": "link", "url": span.link}]
            if len(out) > 2:
                ranges.append(out)
        if ranges:
            props["ranges"] = ranges

    def _input(self, node: Any, props: dict[str, Any]) -> New:
        var = f"{props['id'].replace('-', '_')}_text"
        self.variables.append(New("StringVariable", {"name": var, "value": node.value or ""}))
        props.update({"text_variable": var, "hint_text": node.placeholder, "keyboard_type": _KEYBOARD[node.kind]})
        self._font(props, node)
        if node.pad is not None:
            props["paddings"] = _insets(node.pad)
        return New("DivInput", props)

    def _toggle(self, node: Any, props: dict[str, Any]) -> New:
        label: dict[str, Any] = {"text": node.label}
        self._font(label, node)
        if node.type == "switch":
            var = f"{props['id'].replace('-', '_')}_on"
            self.variables.append(New("BooleanVariable", {"name": var, "value": 1 if node.checked else 0}))
            control = New("DivSwitch", {"is_on_variable": var})
        else:
            control = New("DivText", {
                "text": "\u2713" if node.checked else "", "width": Call("fixed", (18,)), "height": Call("fixed", (18,)),
                "text_alignment_horizontal": "center", "text_color": "#FFFFFFFF",
                "background": [New("DivSolidBackground", {"color": "#FF2563EB" if node.checked else "#FFFFFFFF"})],
                "border": {"corner_radius": 4, "stroke": {"color": "#FF9CA3AF", "width": 1}},
                "accessibility": {"type": "checkbox", "is_checked": 1 if node.checked else 0,
                                  "description": node.label}})
        props.update({"orientation": "horizontal", "item_spacing": 8, "content_alignment_vertical": "center",
                      "items": [control, New("DivText", label)]})
        return New("DivContainer", props)

    def _size(self, div: New, node: Any, parent: Any) -> None:
        if parent is None:
            div.props["width"] = Call("fixed", (self.spec.width,))
            div.props["height"] = Call("fixed", (self.spec.height,))
            return
        for key, value in (("width", node.w), ("height", node.h)):
            if key in div.props:
                continue
            if node.type == "icon" and value is None:
                value = node.size
            if node.type == "divider" and value is None:
                value = node.thickness if (key == "height") == divider_horizontal(node, parent) else "fill"
            if node.type == "spacer" and value is None and node.w is None and node.h is None:
                value = "fill" if (key == "width") == _horizontal(parent) else 1
            div.props[key] = _size(value)
        if node.x is not None:
            div.props["margins"] = self._pinned(div, node, parent)
        elif (overlap := overlap_margin(node, parent)) is not None:
            div.props["margins"] = {"left" if overlap[0] == "margin-left" else "top": overlap[1]}

    def _pinned(self, div: New, node: Any, parent: Any) -> dict[str, int]:
        """Margins from the edge the layer is pinned to, where the sizes are known: right/bottom
        from that edge, centre as an offset from the middle, stretch from both edges (scale: as placed)."""
        outer = (self.spec.width, self.spec.height) if parent is self.spec.root else (parent.w, parent.h)
        pins = node.pin or ("left", "top")
        margins = {"left": node.x, "top": node.y}
        for i, (start, end, align, dim) in enumerate((("left", "right", "alignment_horizontal", "width"),
                                                       ("top", "bottom", "alignment_vertical", "height"))):
            own, room, at = (node.w, node.h)[i], outer[i], margins[start]
            if not isinstance(own, int) or not isinstance(room, int) or pins[i] in (start, "scale"):
                continue
            if pins[i] == end:
                margins[end] = room - margins.pop(start) - own
                div.props[align] = end
            elif pins[i] == "center":
                offset = 2 * at - (room - own)  # centred, then moved by margins on one side
                del margins[start]
                margins[start if offset >= 0 else end] = abs(offset)
                div.props[align] = "center"
            else:  # stretch: both edges, the size follows the parent
                margins[end] = room - at - own
                div.props[dim] = Call("matchParent")
        return margins

    def _decorate(self, div: New, node: Any, parent: Any) -> None:
        bg = node.bg or (self.spec.bg if parent is None else None)
        layers = [New("DivSolidBackground", {"color": self.color(bg)})] if bg else []
        image = getattr(node, "bg_image", None)
        if image is not None:
            if not bg:
                layers.append(New("DivSolidBackground", {"color": "#FFE5E7EB"}))
            layers.append(New("DivImageBackground", {"image_url": image.src or PLACEHOLDER_IMAGE,
                                                     "scale": "fill" if image.fit == "cover" else "fit"}))
        if node.gradient is not None:
            layers.append(self._gradient(node.gradient))
        if layers:
            div.props["background"] = layers
        border: dict[str, Any] = {}
        if isinstance(node.radius, int):
            border["corner_radius"] = node.radius
        elif node.radius is not None:
            keys = ("top-left", "top-right", "bottom-right", "bottom-left")
            border["corners_radius"] = dict(zip(keys, node.radius))
        line = node.border
        if line is not None and (line.sides is None or len(set(line.sides)) == 1):  # DivKit: one width all round
            width = line.sides[0] if line.sides else line.width
            if width:
                border["stroke"] = {"color": self.color(line.color), "width": width}
                if line.style == "dashed":
                    border["stroke"]["style"] = New("DivStrokeStyleDashed", {})
        drops = [sh for sh in shadows(node) if not sh.inset]
        if drops:  # DivKit draws one outer shadow: the top one
            sh = drops[0]
            hex_color = resolve(self.spec, sh.color) or "#000000"
            alpha = int(hex_color[7:9], 16) / 255 if len(hex_color) == 9 else 1.0
            border["has_shadow"] = 1
            border["shadow"] = {"offset": {"x": {"value": sh.x}, "y": {"value": sh.y}}, "blur": sh.blur,
                                "color": f"#FF{hex_color[1:7]}", "alpha": round(alpha, 3)}
        if border:
            div.props["border"] = border
        if node.opacity is not None:
            div.props["alpha"] = node.opacity


    def _gradient(self, gradient: Any) -> New:
        points = [{"color": self.color(s.color), "position": s.at} for s in gradient.stops]
        if gradient.kind == "radial":
            return New("DivRadialGradient", {"color_map": points})
        # CSS angles run clockwise from "to top"; DivKit's counter-clockwise from "to right"
        return New("DivLinearGradient", {"angle": (90 - gradient.angle) % 360, "color_map": points})


def _horizontal(parent: Any) -> bool:
    if isinstance(parent, Repeat):
        return parent.direction == "row"
    return parent.type in ("row", "wrap") or (parent.type == "scroll" and parent.direction == "horizontal")


def _size(value: Any) -> Call:
    if value == "fill":
        return Call("matchParent")
    if isinstance(value, int):
        return Call("fixed", (value,))
    return Call("wrapContent")


def _insets(pad: Any) -> dict[str, int]:
    if isinstance(pad, int):
        values = (pad,) * 4
    elif len(pad) == 2:
        values = (pad[0], pad[1], pad[0], pad[1])
    else:
        values = tuple(pad)
    return dict(zip(("top", "right", "bottom", "left"), values))


def _render_svg(el: El) -> str:
    """Standalone SVG text of a vector (attribute values escaped for XML)."""
    def attrs(values: dict[str, Any]) -> str:
        return "".join(f' {k}="{html_attr(str(v))}"' for k, v in values.items() if v is not True)
    paths = "".join(f"<path{attrs(p.attrs)}/>" for p in el.children)
    return f'<svg xmlns="http://www.w3.org/2000/svg"{attrs(el.attrs)}>{paths}</svg>'

