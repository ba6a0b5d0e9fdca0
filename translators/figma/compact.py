"""FNode tree -> the compact text the model reads: one line per node, indented by depth.

    frame:Login 375x812 col pad=48,24 gap=24 bg=#FFFFFF
     text:Title "Welcome back" 327x34 w=fill 28/700 #111827
     inst:Button/Primary 327x48 row pad=12,16 main=center w=fill bg=#2563EB r=8
      text "Sign in" 52x20 w=hug h=hug 16/600 #FFFFFF

Grammar of a line: `kind[:Name] ["text"] WxH [@x,y] [abs] [layout] [sizing] [style]`.
Names are layer names with default ones ("Frame 12", "Rectangle 3") left out; instances show
their component's name; positions appear only where a node is out of flow.
"""

from __future__ import annotations

import json
import re

from translators.figma.nodes import FNode, TextStyle

_DEFAULT_NAME = re.compile(
    r"^(frame|group|rectangle|ellipse|vector|line|text|component|instance|union|subtract|intersect|"
    r"exclude|polygon|star|image|auto layout|section|slice|layer|mask|shape|container|div)"
    r"( ?\d+)?( copy( \d+)?)?$",
    re.I,
)
_NAME_CHARS = re.compile(r"[^\w/=.-]+")
_KIND_WORD = {"instance": "inst", "placeholder": "box"}


def clean_name(name: str) -> str:
    """A layer name as one token: runs of other characters become `_`."""
    return _NAME_CHARS.sub("_", name.strip()).strip("_")[:48]


def is_default_name(name: str) -> bool:
    """Names Figma gives by itself: `Frame 12`, `Rectangle 3 copy`, ..."""
    return not clean_name(name) or bool(_DEFAULT_NAME.match(name.strip()))


def meaningful_name(node: FNode) -> str | None:
    """The layer name if a designer chose it (not `Frame 12`, not the text itself)."""
    return chosen_name(node.name, node.text, node.component)


def chosen_name(name: str, text: str | None = None, component: str | None = None) -> str | None:
    """`meaningful_name` from the raw parts (the synthetic generator names layers with it)."""
    if is_default_name(name):
        return None
    cleaned = clean_name(name)
    if text is not None and clean_name(text) == cleaned:
        return None
    if component is not None and cleaned == clean_name(component):
        return None
    return cleaned


def compact_lines(node: FNode, depth: int = 0, parent: FNode | None = None) -> list[str]:
    """One line per node, children indented one space deeper."""
    lines = [" " * depth + _line(node, parent)]
    for child in node.children:
        lines += compact_lines(child, depth + 1, node)
    return lines


def compact_tree(root: FNode) -> str:
    return "\n".join(compact_lines(root)) + "\n"


def _line(node: FNode, parent: FNode | None) -> str:
    kind = _KIND_WORD.get(node.kind, node.kind)
    if node.kind == "instance":
        head = f"inst:{clean_name(node.component or node.name) or 'Component'}"
    elif node.kind == "placeholder":
        head = f"box:{clean_name(node.figma_type) or 'UNKNOWN'}"
    else:
        head = kind + (f":{name}" if (name := meaningful_name(node)) else "")
    parts = [head]
    if node.kind == "instance" and (name := meaningful_name(node)):
        parts.append(f"name={name}")
    if node.text is not None:
        parts.append(json.dumps(node.text, ensure_ascii=False))
    parts.append(f"{_n(node.w)}x{_n(node.h)}")
    if parent is not None and node.absolute:
        parts.append(f"@{_n(node.x)},{_n(node.y)}")
        if parent.layout is not None:
            parts.append("abs")
        if node.pin != ("left", "top"):
            parts.append(f"pin={node.pin[0]},{node.pin[1]}")
    parts += _layout(node) + _sizing(node, parent) + _style(node)
    return " ".join(parts)


def _layout(node: FNode) -> list[str]:
    lay = node.layout
    if lay is None:
        return []
    out = [f"grid={lay.columns or 1}" if lay.mode == "grid" else lay.mode]
    if lay.scroll:
        out.append(f"scroll={lay.scroll[0]}")
    if lay.gap:
        out.append(f"gap={lay.gap}")
    if any(lay.pad):
        out.append(f"pad={pad_text(lay.pad)}")
    if lay.main != "start":
        out.append(f"main={lay.main}")
    if lay.cross != "start":
        out.append(f"cross={lay.cross}")
    if lay.reverse_z:
        out.append("first_on_top")
    return out


def pad_text(pad: tuple[int, int, int, int]) -> str:
    top, right, bottom, left = pad
    if top == right == bottom == left:
        return str(top)
    if top == bottom and left == right:
        return f"{top},{right}"
    return f"{top},{right},{bottom},{left}"


def _sizing(node: FNode, parent: FNode | None) -> list[str]:
    """Only what differs from the kind's default: texts hug, everything else is fixed."""
    if parent is None and node.kind != "text":
        return []  # the screen frame: its size is the screen's
    default = "hug" if node.kind == "text" else "fixed"
    return [f"{axis}={mode}" for axis, mode in zip("wh", node.sizing) if mode != default]


def _style(node: FNode) -> list[str]:
    out: list[str] = []
    if node.style is not None:
        st = node.style
        out.append(f"{st.size}/{st.weight}")
        if st.color:
            out.append(st.color)
        if st.align != "left":
            out.append(st.align)
        if st.line_height:
            out.append(f"lh={st.line_height}")
        out += _text_extras(st)
    if node.fill is not None and (node.fill.color or node.fill.kind == "image"):
        fill = node.fill
        out.append({"solid": f"bg={fill.color}", "image": "img", "gradient": f"grad={fill.color}"}[fill.kind])
    if node.gradient:
        out.append(_gradient(node.gradient))
    if node.glyph:
        out.append(f"ink={node.glyph}")
    if node.radius:
        r = node.radius
        out.append(f"r={','.join(map(str, r))}" if isinstance(r, tuple) else f"r={r}")
    if node.stroke:
        out.append(f"stroke={node.stroke[0]},{node.stroke[1]}")
    if node.effects.shadows:
        out.append("shadow=" + ";".join(_shadow(sh) for sh in node.effects.shadows))
    if node.effects.blur:
        out.append(f"blur={node.effects.blur}")
    if node.effects.backdrop_blur:
        out.append(f"bgblur={node.effects.backdrop_blur}")
    if node.opacity < 0.995:
        out.append(f"op={node.opacity:.2f}".rstrip("0").rstrip("."))
    return out + _structure(node)


def _structure(node: FNode) -> list[str]:
    """Rotation, clipping, variant properties, link, paragraph spacing, styled ranges, paths."""
    out = [f"rot={node.rotation}"] if node.rotation else []
    out += ["clip"] if node.clip else []
    if node.variant:
        out.append("props=" + ",".join(f"{clean_name(k)}:{clean_name(v)}" for k, v in node.variant.items()))
    if node.style is not None:
        out += [f"link={node.style.link}"] if node.style.link else []
        out += [f"para={node.style.paragraph_spacing}"] if node.style.paragraph_spacing and "\n" in (node.text or "") else []
        out += [f"spans={len(node.style.spans)}"] if node.style.spans else []
    out += [f"paths={len(node.paths)}"] if node.paths else []
    return out


def _text_extras(st: TextStyle) -> list[str]:
    """Only what differs from the defaults (Inter, upright, no tracking, as typed)."""
    out = [f"font={st.family.replace(' ', '_')}"] if st.family and st.family != "Inter" else []
    out += ["italic"] if st.italic else []
    out += [f"ls={st.letter_spacing:g}"] if abs(st.letter_spacing) >= 0.1 else []
    out += [f"case={st.case}"] if st.case else []
    return out + ([st.decoration] if st.decoration else [])


def _gradient(gradient: dict) -> str:
    stops = ",".join(f"{s['color']}@{s['at']:g}" for s in gradient["stops"])
    head = f"linear{gradient['angle']}" if gradient["kind"] == "linear" else "radial"
    return f"grad={head}:{stops}"


def _shadow(sh: dict) -> str:
    """x,y,blur[,spread],colour, `in` first for an inner shadow (one drop shadow reads as before)."""
    nums = [sh["x"], sh["y"], sh["blur"]] + ([sh["spread"]] if sh.get("spread") else [])
    return ("in," if sh.get("inset") else "") + ",".join(map(str, nums)) + f",{sh['color']}"


def _n(value: float) -> str:
    return str(round(value))
