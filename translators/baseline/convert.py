"""The deterministic baseline: a Figma tree -> a UI spec by fixed rules, no model.

It measures what the LLM adds: the rules read auto-layout faithfully but only recognise
widgets whose layer or component names say what they are.
"""

from __future__ import annotations

import re
from typing import Any

from translators.baseline import repeat
from translators.baseline.ids import IdAllocator, slug
from translators.baseline.roles import input_kind, is_checked, icon_name, role, texts
from translators.figma.compact import meaningful_name, pad_text
from translators.figma.nodes import FNode
from translators.ui_spec.models import FONT_RE, Spec
from translators.ui_spec.semantics import BAD_CHAR

MAX_TEXT = 5000
DEFAULT_FONT = "Inter"
"""The first family of every target's fallback stack: not repeated in specs."""
_CONTAINERS = {"column": "column", "row": "row", "wrap": "wrap", "grid": "grid"}


def build_spec(root: FNode, screen: str | None = None) -> Spec:
    """The rule-based spec of one normalised frame."""
    builder = _Builder()
    name = slug(screen or root.name) or "screen"
    data: dict[str, Any] = {"screen": name, "width": _clamp(root.w, 1), "height": _clamp(root.h, 1)}
    if root.fill is not None and root.fill.color:
        data["bg"] = root.fill.color
    node = builder.node(root, None)
    node.pop("bg", None)
    node.pop("clip", None)  # the screen always clips (every target cuts at its edge)
    data["root"] = node
    return Spec.model_validate(data)


class _Builder:
    def __init__(self) -> None:
        self.ids = IdAllocator()

    def node(self, n: FNode, parent: FNode | None) -> dict[str, Any]:
        kind = role(n) if parent is not None or not n.children else None  # a screen is never a widget
        maker = getattr(self, f"_{kind}", None) if kind else None
        labelled = _labelled_control(n) if kind is None else None
        if maker:
            out = maker(n)
        elif labelled:
            out = self._labelled(n, *labelled)
        else:
            out = self._container(n)
        if parent is not None:
            _place(out, n)
        return out

    def _id(self, n: FNode, fallback: str, hint: str = "") -> str:
        return self.ids.make(meaningful_name(n) or hint, fallback)

    def _text(self, n: FNode) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "text", "id": self._id(n, "text"), "text": (n.text or "")[:MAX_TEXT]}
        if n.style:
            out.update(_font(n))
            if n.style.align != "left":
                out["text_align"] = n.style.align
            if n.style.line_height:
                out["line_height"] = n.style.line_height
            out.update(_rich_text(n, out["text"]))
        return out

    def _button(self, n: FNode) -> dict[str, Any]:
        label = texts(n)[0]
        out = {"type": "button", "id": self._id(n, "button", label.text or ""), "text": (label.text or "")[:MAX_TEXT]}
        return _field_look(out, n, label)

    def _input(self, n: FNode) -> dict[str, Any]:
        hint = texts(n)[0]
        one_line = " ".join((hint.text or "").split("\n"))[:MAX_TEXT]
        out = {"type": "input", "id": self._id(n, "input"), "placeholder": one_line}
        if (kind := input_kind(n)) != "text":
            out["kind"] = kind
        return _field_look(out, n, hint)

    def _checkbox(self, n: FNode) -> dict[str, Any]:
        return {"type": "checkbox", "id": self._id(n, "checkbox"), "checked": is_checked(n)}

    def _switch(self, n: FNode) -> dict[str, Any]:
        return {"type": "switch", "id": self._id(n, "switch"), "checked": is_checked(n)}

    def _icon(self, n: FNode) -> dict[str, Any]:
        name = icon_name(n)
        out = {"type": "icon", "id": self._id(n, "icon", name), "name": name, "size": max(1, round(max(n.w, n.h)))}
        if n.glyph:
            out["color"] = n.glyph
        return out

    def _image(self, n: FNode) -> dict[str, Any]:
        out = {"type": "image", "id": self._id(n, "image"), "alt": _alt(n)}
        out.update(_box_style(n))
        if n.glyph and not n.paths and "bg" not in out:  # vector art without geometry: a box in its ink
            out["bg"] = n.glyph
        if n.kind == "ellipse":
            out["radius"] = round(min(n.w, n.h) / 2)
        return out

    def _divider(self, n: FNode) -> dict[str, Any]:
        color = n.stroke[1] if n.stroke else (n.fill.color if n.fill else None)
        thickness = n.stroke[0] if n.kind == "line" and n.stroke else max(1, round(min(n.w, n.h)))
        out: dict[str, Any] = {"type": "divider", "id": self._id(n, "divider")}
        if color:
            out["color"] = color
        if thickness != 1:
            out["thickness"] = thickness
        return out

    def _decor(self, n: FNode) -> dict[str, Any]:
        out = {"type": "spacer", "id": self._id(n, "box")}
        out.update(_box_style(n))
        if n.kind == "ellipse":
            out["radius"] = round(min(n.w, n.h) / 2)
        return out

    def _container(self, n: FNode) -> dict[str, Any]:
        lay = n.layout
        if lay is None:
            kind = "stack"
        elif lay.scroll:
            kind = "scroll"
        else:
            kind = _CONTAINERS[lay.mode]
        out: dict[str, Any] = {"type": kind, "id": self._id(n, kind)}
        if kind == "scroll" and lay and lay.scroll == "horizontal":
            out["direction"] = "horizontal"
        if lay is not None:
            out.update(_layout(lay, kind))
        out.update(_box_style(n))
        if n.clip:
            out["clip"] = True
        if n.fill is not None and n.fill.kind == "image":  # a picture behind the children
            out["bg_image"] = {"ref": n.fill.ref} if n.fill.ref else {}
        spans = repeat.runs(n.children) if lay and lay.mode in ("column", "row") else []
        if kind in ("column", "row") and spans == [(0, len(n.children))]:
            bound = self._bound_copies(n, n.children)
            if bound is not None:  # the whole container is one repeat
                template, items = bound
                return {**out, "type": "repeat", "direction": kind, "items": items, "template": template}
        out["children"] = self._children(n, spans)
        return out

    def _labelled(self, row: FNode, control: FNode, label: FNode) -> dict[str, Any]:
        kind = role(control)
        out = {"type": kind, "id": self._id(control, kind), "checked": is_checked(control), "label": (label.text or "")[:MAX_TEXT]}
        out.update(_font(label))
        out.update(_box_style(row))
        return out

    def _children(self, n: FNode, spans: list[tuple[int, int]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        i = 0
        for start, end in spans + [(len(n.children), len(n.children))]:
            out += [self.node(c, n) for c in n.children[i:start]]
            if start < end:
                out += self._repeat(n, n.children[start:end])
            i = end
        return out

    def _bound_copies(self, parent: FNode, copies: list[FNode]) -> tuple[dict[str, Any], list] | None:
        """Template + items when the copies differ only in texts; ids are spent once."""
        start = set(self.ids.used)
        dicts = []
        for copy in copies:
            self.ids.used = set(start)
            dicts.append(self.node(copy, parent))
        bound = repeat.bind_template(dicts)
        if bound is None:
            self.ids.used = start
            return None
        for key in ("x", "y"):
            bound[0].pop(key, None)
        return bound

    def _repeat(self, parent: FNode, copies: list[FNode]) -> list[dict[str, Any]]:
        before = set(self.ids.used)
        rep_id = self.ids.make("list", "list")
        bound = self._bound_copies(parent, copies)
        if bound is None:  # they differ in more than text: keep the copies as they are
            self.ids.used = before
            return [self.node(c, parent) for c in copies]
        template, items = bound
        lay = parent.layout
        assert lay is not None
        out: dict[str, Any] = {"type": "repeat", "id": rep_id, "direction": "row" if lay.mode == "row" else "column",
                               "items": items, "template": template}
        if lay.gap > 0:
            out["gap"] = min(1000, lay.gap)
        for axis in ("w", "h"):
            if template.get(axis) == "fill":
                out[axis] = "fill"
        return [out]


def _alt(n: FNode) -> str:
    """An image's alt text from its layer name: one line, no character the spec refuses."""
    if not meaningful_name(n):
        return ""
    # Layer names are free text (NUL, escapes, lone surrogates from a JSON file's \ud800...).
    return " ".join(BAD_CHAR.sub("", n.name).split())[:80]


def _field_look(out: dict[str, Any], n: FNode, label: FNode) -> dict[str, Any]:
    """A button's or input's font (from its text), box style and padding."""
    out.update(_font(label))
    out.update(_box_style(n))
    if n.layout and any(n.layout.pad):
        out["pad"] = _pad(n.layout.pad)
    return out


def _labelled_control(n: FNode) -> tuple[FNode, FNode] | None:
    """A row of [checkbox|switch, text] is one labelled control: (control, label)."""
    if n.layout is None or n.layout.mode != "row" or len(n.children) != 2:
        return None
    kinds = [role(c) for c in n.children]
    for control, label in ((0, 1), (1, 0)):
        if kinds[control] in ("checkbox", "switch") and kinds[label] == "text":
            return n.children[control], n.children[label]
    return None


def _rich_text(n: FNode, text: str) -> dict[str, Any]:
    """Styled ranges, link and paragraph spacing, where the file has them."""
    st = n.style
    out: dict[str, Any] = {}
    if st is None:
        return out
    spans = [sp for sp in st.spans if sp["end"] <= len(text) and (not sp.get("font") or re.match(FONT_RE, sp["font"]))]
    if spans:
        out["spans"] = spans
    if st.link:
        out["link"] = st.link
    if st.paragraph_spacing and "\n" in text:
        out["paragraph_spacing"] = st.paragraph_spacing
    return out


def _figma(out: dict[str, Any], n: FNode) -> None:
    """Rotation and, for an instance with properties, its component and variant."""
    if n.rotation:
        out["rotate"] = -n.rotation  # Figma turns counter-clockwise, CSS clockwise
    if n.kind == "instance" and n.variant and n.component:
        out["component"] = BAD_CHAR.sub("", n.component)[:200]
        out["variant"] = {BAD_CHAR.sub("", k)[:60]: BAD_CHAR.sub("", v)[:200] for k, v in n.variant.items()}
    if n.paths and n.glyph and out["type"] in ("icon", "image"):  # vector art the file carries as paths
        out.update({"type": "vector", "alt": _alt(n), "w": _clamp(n.w, 1), "h": _clamp(n.h, 1), "paths": n.paths})
        for key in ("name", "size", "color", "fit", "src", "ref"):
            out.pop(key, None)


def _place(out: dict[str, Any], n: FNode) -> None:
    _figma(out, n)
    if n.absolute:
        out["x"], out["y"] = (max(-10000, min(10000, round(v))) for v in (n.x, n.y))
        if n.pin != ("left", "top"):
            out["pin"] = list(n.pin)
    skip = {"icon": "wh", "divider": "h" if n.h <= n.w else "w"}.get(out["type"], "")
    for axis, mode, size in (("w", n.sizing[0], n.w), ("h", n.sizing[1], n.h)):
        if axis in skip or axis in out:
            continue
        if mode == "fill":
            out[axis] = "fill"
        elif mode == "fixed":
            out[axis] = _clamp(size, 0)
    for key, value in zip(("min_w", "max_w", "min_h", "max_h"), n.limits):
        if value is not None:
            out[key] = _clamp(value, 0)


def _layout(lay, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if kind == "grid":
        out["columns"] = max(1, min(12, lay.columns or 1))
    if any(lay.pad):
        out["pad"] = _pad(lay.pad)
    if lay.gap and lay.main != "between":  # Figma ignores the gap when spacing is auto
        out["gap"] = max(-1000, min(1000, lay.gap))
    if kind == "wrap" and lay.cross_gap > 0:
        out["cross_gap"] = min(1000, lay.cross_gap)
    if lay.main != "start":
        out["align"] = lay.main
    if lay.cross != "start" and not (lay.cross == "baseline" and kind != "row"):
        out["cross"] = lay.cross
    if lay.reverse_z:
        out["reverse_z"] = True
    return out


def _pad(pad: tuple[int, int, int, int]) -> int | list[int]:
    parts = [int(p) for p in pad_text(tuple(max(0, min(10000, p)) for p in pad)).split(",")]
    return parts[0] if len(parts) == 1 else parts


def _font(n: FNode) -> dict[str, Any]:
    out: dict[str, Any] = {}
    st = n.style
    if st is None:
        return out
    if st.size != 16:
        out["size"] = st.size
    if st.weight != 400:
        out["weight"] = st.weight
    if st.color and st.color != "#000000":
        out["color"] = st.color
    if st.family and st.family != DEFAULT_FONT and re.match(FONT_RE, st.family):
        out["font"] = st.family
    if st.italic:
        out["italic"] = True
    if abs(st.letter_spacing) >= 0.1:
        out["letter_spacing"] = max(-50.0, min(200.0, st.letter_spacing))
    if st.case:
        out["case"] = st.case
    if st.decoration:
        out["decoration"] = st.decoration
    return out


def _box_style(n: FNode) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if n.fill is not None and n.fill.color:
        out["bg"] = n.fill.color
    if n.radius:
        out["radius"] = list(n.radius) if isinstance(n.radius, tuple) else n.radius
    if n.stroke:
        out["border"] = {"width": n.stroke[0], "color": n.stroke[1], **n.stroke_look}
    if n.gradient:
        out["gradient"] = n.gradient
    shadows = [{k: v for k, v in sh.items() if v or k == "color"} for sh in n.effects.shadows]
    if shadows:
        out["shadow"] = shadows[0] if len(shadows) == 1 else shadows
    if n.effects.blur:
        out["blur"] = n.effects.blur
    if n.effects.backdrop_blur:
        out["backdrop_blur"] = n.effects.backdrop_blur
    if n.opacity < 0.995:
        out["opacity"] = round(n.opacity, 2)
    return out


def _clamp(value: float, low: int) -> int:
    return max(low, min(10000, round(value)))
