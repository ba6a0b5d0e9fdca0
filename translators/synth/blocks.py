"""Building blocks of synthetic screens: each makes a spec node and the design that shows it.

A block returns a `G`: the spec dict (ids filled in later), the design node whose layer name
decides the id, and the spec children. With probability `messy` a layer keeps Figma's default
name or a widget is drawn as a plain frame, so names alone do not always tell what it is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from translators.synth import words
from translators.synth.design import D, image_fill, pad, solid


@dataclass
class G:
    spec: dict[str, Any]
    design: D
    kids: list[G] = field(default_factory=list)
    fallback: str = "node"
    hint: str = ""
    named: D | None = None
    """The layer whose name gives the id, when it is not `design` itself."""
    bound: list[tuple[G, list[str]]] = field(default_factory=list)
    """Repeat only: template texts bound to item fields, with each copy's value."""


@dataclass
class Style:
    """One screen's palette and the messiness of its layers."""

    rng: random.Random
    messy: float
    ink: str
    muted: str
    brand: str
    surface: str
    line: str
    counter: int = 0
    small: bool = False
    """Prefer the lighter variant of each block (screens for a short-context model)."""

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def default_name(self, kind: str) -> str:
        self.counter += 1
        return f"{kind} {self.rng.randint(1, 9999)}"

    def name(self, meaningful: str, kind: str = "Frame") -> str:
        return self.default_name(kind) if self.chance(self.messy) else meaningful


def _sizing(value: Any) -> str:
    return "FILL" if value == "fill" else "FIXED" if isinstance(value, int) else "HUG"


def _font_spec(size: int, weight: int, color: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if size != 16:
        out["size"] = size
    if weight != 400:
        out["weight"] = weight
    if color != "#000000":
        out["color"] = color
    return out


def text(st: Style, content: str, size: int = 16, weight: int = 400, color: str | None = None,
         w: Any = None, role: str | None = None) -> G:
    color = color or st.ink
    spec: dict[str, Any] = {"type": "text", "text": content, **_font_spec(size, weight, color)}
    if w is not None:
        spec["w"] = w
    name = role if role and not st.chance(st.messy) else content
    design = D("TEXT", name, text=content, font=(size, weight), text_color=color,
               sizing=(_sizing(w), "HUG"), w=w if isinstance(w, int) else 0)
    return G(spec, design, fallback="text")


def button(st: Style, label: str, w: Any = None, primary: bool = True) -> G:
    bg, fg = (st.brand, "#FFFFFF") if primary else (st.surface, st.ink)
    radius = st.rng.choice([4, 8, 12, 24])
    vpad, hpad = st.rng.choice([(10, 16), (12, 20), (8, 14)])
    height = st.rng.choice([None, 40, 44, 48])
    spec: dict[str, Any] = {"type": "button", "text": label, **_font_spec(16, 600, fg), "bg": bg, "radius": radius,
                            "pad": [vpad, hpad]}
    if w is not None:
        spec["w"] = w
    if height:
        spec["h"] = height
    as_frame = st.chance(st.messy / 2)  # drawn without a component: only its shape says "button"
    kind = "FRAME" if as_frame else "INSTANCE"
    component = None if as_frame else ("Button/Primary" if primary else "Button/Secondary")
    design = D(kind, st.default_name("Frame") if as_frame else component, layout="HORIZONTAL",
               main="CENTER", cross="CENTER", pad=pad(vpad, hpad), fills=[solid(bg)], radius=radius,
               sizing=(_sizing(w), "FIXED" if height else "HUG"), w=w if isinstance(w, int) else 0,
               h=height or 0, component=component,
               children=[D("TEXT", label, text=label, font=(16, 600), text_color=fg, sizing=("HUG", "HUG"))])
    return G(spec, design, fallback="button", hint=label)


def text_input(st: Style) -> G:
    kind, placeholder = st.rng.choice(words.INPUTS)
    spec: dict[str, Any] = {"type": "input", "placeholder": placeholder, "color": st.muted, "bg": "#FFFFFF",
                            "radius": 8, "border": {"color": st.line}, "pad": [12, 16], "w": "fill", "h": 48}
    if kind != "text":
        spec["kind"] = kind
    as_frame = st.chance(st.messy / 2)
    component = None if as_frame else f"Input/{kind.title()}"
    design = D("FRAME" if as_frame else "INSTANCE", st.default_name("Frame") if as_frame else component,
               layout="HORIZONTAL", cross="CENTER", pad=pad(12, 16), fills=[solid("#FFFFFF")],
               strokes=[solid(st.line)], radius=8, sizing=("FILL", "FIXED"), h=48, component=component,
               children=[D("TEXT", placeholder, text=placeholder, font=(16, 400), text_color=st.muted,
                           sizing=("HUG", "HUG"))])
    return G(spec, design, fallback="input")


def toggle(st: Style, switch: bool) -> G:
    label = st.rng.choice(words.TOGGLES)
    checked = st.chance(0.5)
    spec: dict[str, Any] = {"type": "switch" if switch else "checkbox", "label": label, "checked": checked,
                            **_font_spec(15, 400, st.ink)}
    if switch:
        control = D("INSTANCE", "Switch", w=36, h=20, component=f"Switch/State={'On' if checked else 'Off'}",
                    fills=[solid(st.brand if checked else "#D1D5DB")], radius=10,
                    children=[D("ELLIPSE", "Knob", w=16, h=16, x=18 if checked else 2, y=2, fills=[solid("#FFFFFF")])])
    else:
        mark = [D("VECTOR", "Check", w=10, h=8, x=4, y=5, fills=[solid("#FFFFFF")])] if checked else []
        control = D("INSTANCE", "Checkbox", w=18, h=18, component=f"Checkbox/Checked={'true' if checked else 'false'}",
                    fills=[solid(st.brand if checked else "#FFFFFF")], strokes=[] if checked else [solid(st.line)],
                    radius=4, children=mark)
    row = D("FRAME", st.name("Option"), layout="HORIZONTAL", gap=8, cross="CENTER", sizing=("HUG", "HUG"),
            children=[control, D("TEXT", label, text=label, font=(15, 400), text_color=st.ink, sizing=("HUG", "HUG"))])
    # the id comes from the control; the row and the label are not separate spec nodes
    return G(spec, row, fallback="switch" if switch else "checkbox", named=control)


def icon(st: Style, color: str | None = None, size: int | None = None) -> G:
    name = st.rng.choice(words.ICONS)
    size = size or st.rng.choice([20, 24, 24, 24])
    color = color or st.ink
    spec = {"type": "icon", "name": name, "size": size, "color": color}
    component = "Icon/" + "".join(p.title() for p in name.split("-"))
    design = D("INSTANCE", component, w=size, h=size, component=component,
               children=[D("VECTOR", "Vector", w=size * 0.75, h=size * 0.75, x=size / 8, y=size / 8,
                           fills=[solid(color)])])
    return G(spec, design, fallback="icon", hint=name)


def image(st: Style, w: Any, h: int, radius: int | None = None) -> G:
    label = st.rng.choice(words.IMAGES)
    name = st.name(label, "Rectangle")
    spec: dict[str, Any] = {"type": "image", "alt": name if not name.startswith("Rectangle ") else "",
                            "w": w, "h": h}
    if radius:
        spec["radius"] = radius
    design = D("RECTANGLE", name, w=w if isinstance(w, int) else 0, h=h, sizing=(_sizing(w), "FIXED"),
               fills=[image_fill(label.lower())], radius=radius or 0)
    return G(spec, design, fallback="image")


def divider(st: Style) -> G:
    name = st.name("Divider", "Line")
    spec = {"type": "divider", "w": "fill", "color": st.line}
    design = D("LINE", name, w=100, h=0, sizing=("FILL", "FIXED"), strokes=[solid(st.line)])
    return G(spec, design, fallback="divider")


def spacer(st: Style) -> G:
    spec = {"type": "spacer", "w": "fill", "h": 1}
    design = D("FRAME", st.name("Spacer"), w=1, h=1, sizing=("FILL", "FIXED"))
    return G(spec, design, fallback="box")


def box(st: Style, kind: str, kids: list[G], role: str, **style: Any) -> G:
    """A column or row container of `kids`; `style` holds spec keys (pad, gap, bg, ...)."""
    spec: dict[str, Any] = {"type": kind, **style, "children": [k.spec for k in kids]}
    design = D("FRAME", st.name(role), layout="VERTICAL" if kind == "column" else "HORIZONTAL",
               gap=style.get("gap", 0), pad=_pad4(style.get("pad", 0)),
               main={"center": "CENTER", "end": "MAX", "between": "SPACE_BETWEEN"}.get(style.get("align", ""), "MIN"),
               cross={"center": "CENTER", "end": "MAX"}.get(style.get("cross", ""), "MIN"),
               fills=[solid(style["bg"])] if "bg" in style else [], radius=style.get("radius", 0),
               strokes=[solid(style["border"]["color"])] if "border" in style else [],
               sizing=(_sizing(style.get("w")), _sizing(style.get("h"))),
               w=style["w"] if isinstance(style.get("w"), int) else 0,
               h=style["h"] if isinstance(style.get("h"), int) else 0,
               children=[k.design for k in kids])
    return G(spec, design, kids, fallback=kind)


def _pad4(value: Any) -> tuple[float, float, float, float]:
    if isinstance(value, int):
        return pad(value)
    return pad(*value)
