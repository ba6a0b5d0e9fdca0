"""CSS for a spec node, shared by the HTML and React targets: flex layouts, never coordinates
except for nodes the design itself placed out of flow (x/y)."""

from __future__ import annotations

from typing import Any

from translators.ui_spec.models import CONTAINER_TYPES, Repeat, Spec, shadows

Css = dict[str, Any]
FONT_STACK = "Inter, Arial, 'Liberation Sans', Helvetica, sans-serif"
_JUSTIFY = {"start": "flex-start", "center": "center", "end": "flex-end", "between": "space-between"}
_ITEMS = {"start": "flex-start", "center": "center", "end": "flex-end", "stretch": "stretch", "baseline": "baseline"}
_CASE = {"upper": "uppercase", "lower": "lowercase", "title": "capitalize"}
_DECORATION = {"underline": "underline", "strikethrough": "line-through"}
PLACEHOLDER_PICTURE = "url(\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E\")"
"""An image fill offline: an empty picture over the placeholder grey (the element keeps the
Figma imageRef in `data-figma-image`, to fetch it through GET /v1/files/:key/images)."""


def color(spec: Spec, value: str | None) -> str | None:
    """A hex colour with `$tokens` resolved from the palette."""
    if value and value.startswith("$"):
        return spec.colors[value[1:]]
    return value


def main_axis(node: Any) -> str | None:
    """'h' or 'v' for flex containers, None for grid/stack (no main axis)."""
    kind = node.type
    if kind in ("column",) or (kind == "scroll" and node.direction == "vertical"):
        return "v"
    if kind in ("row", "wrap") or (kind == "scroll" and node.direction == "horizontal"):
        return "h"
    if isinstance(node, Repeat):
        return "v" if node.direction == "column" else "h"
    return None


def divider_horizontal(node: Any, parent: Any | None) -> bool:
    """A divider with only a width runs horizontally, with only a height vertically;
    otherwise it crosses its parent's flow."""
    if node.w is not None and node.h is None:
        return True
    if node.h is not None and node.w is None:
        return False
    return parent is None or main_axis(parent) != "h"


def control_css(node: Any) -> Css:
    """The box of a checkbox or switch: a fixed-size control, coloured by its state."""
    if node.type == "switch":
        return {"appearance": "none", "margin": 0, "width": "36px", "height": "20px", "border-radius": "10px",
                "flex-shrink": 0, "background-color": "#2563EB" if node.checked else "#D1D5DB"}
    return {"margin": 0, "width": "18px", "height": "18px", "flex-shrink": 0, "accent-color": "#2563EB"}


def px(value: int | float) -> str:
    return f"{value}px"


def box_pad(pad: Any) -> str:
    if isinstance(pad, int):
        return px(pad)
    return " ".join(px(p) for p in pad)


def node_css(spec: Spec, node: Any, parent: Any | None) -> Css:
    """Every CSS declaration of one node (kebab-case names)."""
    css: Css = {"box-sizing": "border-box"}
    if node.type in CONTAINER_TYPES or isinstance(node, Repeat):
        css.update(_container(node))
    css.update(_leaf(spec, node, parent))
    css.update(_size(spec, node, parent))
    css.update(_decoration(spec, node))
    if parent is None and spec.bg and not node.bg:
        css["background-color"] = color(spec, spec.bg)
    return css


def _container(node: Any) -> Css:
    css: Css = {"position": "relative"}
    axis = main_axis(node)
    if axis is not None:
        css.update({"display": "flex", "flex-direction": "row" if axis == "h" else "column"})
        if node.type == "wrap":
            css["flex-wrap"] = "wrap"
        if node.type == "scroll":
            css["overflow-x" if axis == "h" else "overflow-y"] = "auto"
        css["justify-content"] = _JUSTIFY[node.align or "start"]
        css["align-items"] = _ITEMS[node.cross or "start"]
    elif node.type == "grid":
        css.update({"display": "grid", "grid-template-columns": f"repeat({node.columns}, minmax(0, 1fr))",
                    "align-items": _ITEMS.get(node.cross or "start", "start").replace("flex-", "")})
    else:  # stack: one grid cell that every child shares
        css.update({"display": "grid", "grid-template-columns": "minmax(0, 1fr)"})
    if node.gap and node.gap > 0 and node.type != "stack":  # a negative gap: margins on the children
        css["gap"] = px(node.gap)
    if node.type == "wrap" and node.cross_gap:
        css["row-gap"] = px(node.cross_gap)
    if node.pad is not None:
        css["padding"] = box_pad(node.pad)
    if node.clip:
        css["overflow"] = "hidden"
    if node.bg_image is not None:
        picture = f'url("{node.bg_image.src}")' if node.bg_image.src else PLACEHOLDER_PICTURE
        css.update({"background-image": picture, "background-size": node.bg_image.fit,
                    "background-position": "center"})
        if not node.bg:
            css["background-color"] = "#E5E7EB"
    return css


def _leaf(spec: Spec, node: Any, parent: Any | None) -> Css:
    kind = node.type
    css: Css = {}
    if kind in ("text", "button", "input", "checkbox", "switch"):
        css["margin"] = 0
        if node.size:
            css["font-size"] = px(node.size)
        if node.weight:
            css["font-weight"] = node.weight
        if node.color:
            css["color"] = color(spec, node.color)
        css.update(_text_style(node))
    if kind == "text":
        css["white-space"] = "pre" if node.w in (None, "hug") else "pre-wrap"
        css["overflow-wrap"] = "anywhere"
        if node.text_align:
            css["text-align"] = node.text_align
        if node.line_height:
            css["line-height"] = px(node.line_height)
        if node.max_lines:
            css.update({"display": "-webkit-box", "-webkit-box-orient": "vertical",
                        "-webkit-line-clamp": node.max_lines, "overflow": "hidden"})
    elif kind in ("button", "input"):  # form controls do not inherit fonts by default
        css.update({"font-family": "inherit", "font-size": px(node.size or 16), "line-height": "inherit",
                    "border": "none", "white-space": "pre"})
        if node.pad is not None:
            css["padding"] = box_pad(node.pad)
        if kind == "button":
            css.update({"display": "inline-flex", "align-items": "center", "justify-content": "center",
                        "background-color": "transparent", "cursor": "pointer"})
    elif kind in ("checkbox", "switch"):
        css.update({"display": "inline-flex", "align-items": "center", "gap": "8px"})
    elif kind == "image":
        css["object-fit"] = node.fit
        if not node.bg and not node.src:
            css["background-color"] = "#E5E7EB"
    elif kind == "icon":
        ink = color(spec, node.color) or "currentColor"
        css.update({"display": "inline-block", "flex-shrink": 0, "border": f"2px solid {ink}",
                    "border-radius": "30%", "width": px(node.size), "height": px(node.size)})
    elif kind == "divider":
        css.update({"border": "none", "margin": 0,
                    "background-color": color(spec, node.color) or "#E5E7EB", "flex-shrink": 0})
        horizontal = divider_horizontal(node, parent)
        css["height" if horizontal else "width"] = px(node.thickness)
        if (node.w if horizontal else node.h) is None:  # span the parent along the line
            along = main_axis(parent) if parent is not None else None
            css.update({"flex": "1 1 0px"} if along == ("h" if horizontal else "v") else {"align-self": "stretch"})
    elif kind == "vector":
        css.update({"display": "block", "flex-shrink": 0, "overflow": "visible"})
    elif kind == "spacer" and node.w is None and node.h is None and parent is not None:
        css["flex"] = "1 1 0px"
    return css


def _text_style(node: Any) -> Css:
    """Family (with the fallback stack), italic, letter spacing, case, decoration."""
    css: Css = {}
    if node.font:
        css["font-family"] = f'"{node.font}", {FONT_STACK}'  # FONT_RE: no double quotes or semicolons
    if node.italic:
        css["font-style"] = "italic"
    if node.letter_spacing:
        css["letter-spacing"] = px(node.letter_spacing)
    if node.case:
        css["text-transform"] = _CASE[node.case]
    if node.decoration:
        css["text-decoration"] = _DECORATION[node.decoration]
    return css


def span_css(spec: Spec, span: Any, link: bool) -> Css:
    """A styled range's own declarations; a link keeps the text's colour and decoration."""
    css: Css = {"color": "inherit", "text-decoration": "inherit"} if link else {}
    if span is None:
        return css
    for key, prop in (("weight", "font-weight"), ("size", "font-size"), ("color", "color")):
        value = getattr(span, key)
        if value is not None:
            css[prop] = px(value) if key == "size" else color(spec, value) if key == "color" else value
    if span.italic:
        css["font-style"] = "italic"
    if span.font:
        css["font-family"] = f'"{span.font}", {FONT_STACK}'
    if span.decoration:
        css["text-decoration"] = _DECORATION[span.decoration]
    return css


def gradient_css(spec: Spec, gradient: Any) -> str:
    stops = ", ".join(f"{color(spec, s.color)} {round(s.at * 100, 2)}%" for s in gradient.stops)
    if gradient.kind == "radial":
        return f"radial-gradient(circle at center, {stops})"
    return f"linear-gradient({gradient.angle}deg, {stops})"


def _size(spec: Spec, node: Any, parent: Any | None) -> Css:
    if parent is None:
        return {"width": px(spec.width), "height": px(spec.height), "overflow": "hidden",
                "font-family": FONT_STACK, "line-height": 1.2}
    css: Css = {}
    if node.x is not None:
        css.update(_pinned(spec, node, parent))
    elif (overlap := overlap_margin(node, parent)) is not None:
        css[overlap[0]] = px(overlap[1])
    if getattr(parent, "reverse_z", None) and not isinstance(parent, Repeat):  # the first child on top
        index = next(i for i, c in enumerate(parent.children) if c is node)
        css.setdefault("position", "relative")
        css["z-index"] = len(parent.children) - index
    for key, prop in (("min_w", "min-width"), ("max_w", "max-width"), ("min_h", "min-height"), ("max_h", "max-height")):
        if getattr(node, key) is not None:
            css[prop] = px(getattr(node, key))
    for axis, value in (("h", node.w), ("v", node.h)):
        if value is None and node.type in ("icon", "divider"):
            continue
        css.update(_axis_size(axis, value or "hug", parent, node.x is not None))
    if node.x is not None and node.pin:
        _pinned_size(spec, node, parent, css)
    return css


def _pinned_size(spec: Spec, node: Any, parent: Any, css: Css) -> None:
    """A stretched layer's size follows both edges; a scaled one is a share of the parent."""
    outer = (spec.width, spec.height) if parent is spec.root else (parent.w, parent.h)
    for pin, dim, own, room in ((node.pin[0], "width", node.w, outer[0]), (node.pin[1], "height", node.h, outer[1])):
        if not isinstance(room, int) or not isinstance(own, int):
            continue
        if pin == "stretch":
            css.pop(dim, None)
        elif pin == "scale":
            css[dim] = f"{own / room * 100:.4g}%"


def _pinned(spec: Spec, node: Any, parent: Any) -> Css:
    """Absolute position by the layer's constraints, where the parent's size is known in px:
    right/bottom keep the distance to that edge, center the offset from the middle, stretch
    both edges, scale percentages; otherwise left/top."""
    css: Css = {"position": "absolute"}
    outer = (spec.width, spec.height) if parent is spec.root else (parent.w, parent.h)
    pins = node.pin or ("left", "top")
    for axis, start, end, offset, own, room in (("h", "left", "right", node.x, node.w, outer[0]),
                                                  ("v", "top", "bottom", node.y, node.h, outer[1])):
        pin = pins[0 if axis == "h" else 1]
        if not isinstance(room, int) or not isinstance(own, int) or pin in ("left", "top"):
            css[start] = px(offset)
        elif pin in ("right", "bottom"):
            css[end] = px(room - offset - own)
        elif pin == "center":
            css[start] = f"calc(50% + {offset - room / 2:g}px)"
        elif pin == "stretch":
            css.update({start: px(offset), end: px(room - offset - own)})
        else:  # scale
            css[start] = f"{offset / room * 100:.4g}%"
    return css


def overlap_margin(node: Any, parent: Any | None) -> tuple[str, int] | None:
    """A negative gap (children overlapping on purpose) as a negative leading margin on every
    in-flow child but the first: ('margin-left' | 'margin-top', gap)."""
    gap = getattr(parent, "gap", None)
    if parent is None or not gap or gap > 0 or main_axis(parent) is None or isinstance(parent, Repeat):
        return None
    flow = [c for c in parent.children if c.x is None]
    if not flow or flow[0] is node:
        return None
    return ("margin-left" if main_axis(parent) == "h" else "margin-top"), gap


def _axis_size(axis: str, value: Any, parent: Any, positioned: bool) -> Css:
    dim = "width" if axis == "h" else "height"
    along = main_axis(parent)
    if isinstance(value, int):  # fixed: Figma never shrinks it along the flow
        return {dim: px(value), "flex-shrink": 0} if along == axis and not positioned else {dim: px(value)}
    if positioned:
        return {dim: "100%"} if value == "fill" else {}
    if along == axis:
        return {"flex": "1 1 0px", f"min-{dim}": 0} if value == "fill" else {"flex-shrink": 0}
    if along is not None:
        return {"align-self": "stretch"} if value == "fill" else {}
    self_key = "justify-self" if axis == "h" else "align-self"
    overlay = {"grid-area": "1 / 1"} if parent.type == "stack" else {}
    return {self_key: "stretch" if value == "fill" else "start", **overlay}


def _border(spec: Spec, border: Any) -> Css:
    """Inside: a CSS border (per side when `sides`); outside or centred: an outline."""
    ink = color(spec, border.color)
    if border.align != "inside" and border.sides is None:
        offset = 0 if border.align == "outside" else -(border.width / 2)
        return {"outline": f"{border.width}px {border.style} {ink}", "outline-offset": px(offset)}
    if border.sides is None:
        return {"border": f"{border.width}px {border.style} {ink}"}
    return {"border-style": border.style, "border-color": ink, "border-width": " ".join(px(w) for w in border.sides)}


def _decoration(spec: Spec, node: Any) -> Css:
    css: Css = {}
    if node.bg:
        css["background-color"] = color(spec, node.bg)
    if node.radius is not None:
        css["border-radius"] = box_pad(node.radius)
    if node.border is not None:
        css.update(_border(spec, node.border))
    if node.gradient is not None:
        css["background-image"] = gradient_css(spec, node.gradient)
    if shadows(node):
        css["box-shadow"] = ", ".join(f"{'inset ' if sh.inset else ''}{sh.x}px {sh.y}px {sh.blur}px {sh.spread}px "
                                      f"{color(spec, sh.color)}" for sh in shadows(node))
    if node.blur:
        css["filter"] = f"blur({node.blur}px)"
    if node.backdrop_blur:
        css["backdrop-filter"] = f"blur({node.backdrop_blur}px)"
    if node.opacity is not None:
        css["opacity"] = node.opacity
    if node.rotate:
        css["transform"] = f"rotate({node.rotate}deg)"
    return css
