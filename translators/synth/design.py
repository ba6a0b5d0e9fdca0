"""A small in-memory design model (what a designer draws) used to author Figma files.

Both the hand-written fixture screens and the synthetic generator describe screens as `D`
trees; `solve.layout` computes every box with Figma's auto-layout rules and `rest.to_rest`
writes the GET /v1/files/:key response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Paint = dict[str, Any]


@dataclass
class D:
    """One design node. Sizes: FIXED uses w/h, HUG fits content, FILL takes the parent's space."""

    type: str
    """FRAME | GROUP | INSTANCE | COMPONENT | TEXT | RECTANGLE | ELLIPSE | LINE | VECTOR | ..."""
    name: str
    w: float = 0
    h: float = 0
    sizing: tuple[str, str] = ("FIXED", "FIXED")
    layout: str | None = None
    """VERTICAL | HORIZONTAL | GRID, None for free placement."""
    wrap: bool = False
    gap: float = 0
    pad: tuple[float, float, float, float] = (0, 0, 0, 0)
    main: str = "MIN"
    cross: str = "MIN"
    columns: int = 0
    scroll: str | None = None
    x: float = 0
    y: float = 0
    """Position inside a free-placement parent, or of an ABSOLUTE child."""
    absolute: bool = False
    fills: list[Paint] = field(default_factory=list)
    strokes: list[Paint] = field(default_factory=list)
    stroke_weight: float = 1
    radius: float | tuple[float, float, float, float] = 0
    effects: list[dict[str, Any]] = field(default_factory=list)
    opacity: float = 1
    visible: bool = True
    text: str = ""
    font: tuple[float, int] = (16, 400)
    text_color: str = "#000000"
    text_align: str = "LEFT"
    line_height: float | None = None
    component: str | None = None
    """Component name for INSTANCE (registered in the file's components map)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Raw fields merged into the REST node (for quirks: old layoutGrow, rotation, ...)."""
    children: list[D] = field(default_factory=list)
    # filled in by solve.layout: position relative to the screen, final size
    ax: float = 0
    ay: float = 0
    fw: float = 0
    fh: float = 0


def rgba(hex_color: str) -> dict[str, float]:
    """'#RRGGBB[AA]' -> Figma's {r, g, b, a} floats."""
    value = hex_color.lstrip("#")
    r, g, b = (int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))
    a = int(value[6:8], 16) / 255 if len(value) == 8 else 1.0
    return {"r": round(r, 6), "g": round(g, 6), "b": round(b, 6), "a": round(a, 6)}


def solid(hex_color: str, opacity: float = 1.0) -> Paint:
    paint: Paint = {"blendMode": "NORMAL", "type": "SOLID", "color": rgba(hex_color)}
    if opacity != 1.0:
        paint["opacity"] = opacity
    return paint


def image_fill(ref: str = "a1b2c3") -> Paint:
    return {"blendMode": "NORMAL", "type": "IMAGE", "scaleMode": "FILL", "imageRef": ref}


def gradient(start: str, end: str) -> Paint:
    return {"blendMode": "NORMAL", "type": "GRADIENT_LINEAR",
            "gradientHandlePositions": [{"x": 0, "y": 0}, {"x": 1, "y": 1}, {"x": 0, "y": 1}],
            "gradientStops": [{"color": rgba(start), "position": 0}, {"color": rgba(end), "position": 1}]}


def drop_shadow(x: float, y: float, blur: float, color: str) -> dict[str, Any]:
    return {"type": "DROP_SHADOW", "visible": True, "color": rgba(color), "blendMode": "NORMAL",
            "offset": {"x": x, "y": y}, "radius": blur, "showShadowBehindNode": False}


def frame(name: str, *children: D, **kw: Any) -> D:
    return D("FRAME", name, children=list(children), **kw)


def col(name: str, *children: D, **kw: Any) -> D:
    kw.setdefault("sizing", ("HUG", "HUG"))
    return D(kw.pop("type", "FRAME"), name, layout="VERTICAL", children=list(children), **kw)


def row(name: str, *children: D, **kw: Any) -> D:
    kw.setdefault("sizing", ("HUG", "HUG"))
    return D(kw.pop("type", "FRAME"), name, layout="HORIZONTAL", children=list(children), **kw)


def text(content: str, size: float = 16, weight: int = 400, color: str = "#111827", name: str | None = None,
         **kw: Any) -> D:
    kw.setdefault("sizing", ("HUG", "HUG"))
    return D("TEXT", content[:40] if name is None else name, text=content, font=(size, weight),
             text_color=color, **kw)


def rect(name: str, w: float, h: float, **kw: Any) -> D:
    return D("RECTANGLE", name, w=w, h=h, **kw)


def icon(component: str, size: float = 24, color: str = "#111827", **kw: Any) -> D:
    """An icon instance: vector art inside, reduced to a placeholder on ingest."""
    vector = D("VECTOR", "Vector", w=size * 0.75, h=size * 0.75, x=size / 8, y=size / 8,
               fills=[solid(color)])
    return D("INSTANCE", kw.pop("name", component), w=size, h=size, component=component,
             children=[vector], **kw)


def pad(*values: float) -> tuple[float, float, float, float]:
    """CSS order: 1, 2 (vertical, horizontal) or 4 values (top, right, bottom, left)."""
    if len(values) == 1:
        return (values[0],) * 4  # type: ignore[return-value]
    if len(values) == 2:
        return (values[0], values[1], values[0], values[1])
    return tuple(values)  # type: ignore[return-value]
