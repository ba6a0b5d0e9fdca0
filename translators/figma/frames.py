"""Frame-level fields: auto-layout, sizing, constraints, variant properties."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from translators.figma.fields import integer, kids, num, token

FNode = Any
"""translators.figma.nodes.FNode (defined next to the walker that builds it, which imports this)."""

_ALIGN = {"MIN": "start", "CENTER": "center", "MAX": "end", "SPACE_BETWEEN": "between", "BASELINE": "baseline"}
_SIZING = {"FIXED": "fixed", "HUG": "hug", "FILL": "fill"}
_PIN_H = {"MIN": "left", "LEFT": "left", "MAX": "right", "RIGHT": "right", "CENTER": "center",
          "STRETCH": "stretch", "LEFT_RIGHT": "stretch", "SCALE": "scale"}
_PIN_V = {"MIN": "top", "TOP": "top", "MAX": "bottom", "BOTTOM": "bottom", "CENTER": "center",
          "STRETCH": "stretch", "TOP_BOTTOM": "stretch", "SCALE": "scale"}
MAX_PROPS = 20


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
    reverse_z: bool = False
    """itemReverseZIndex: the first child is drawn on top."""


def apply_frame(fnode: FNode, raw: dict[str, Any]) -> None:
    """Auto-layout, its own hug/fixed sizing, and scrolling."""
    mode = raw.get("layoutMode")
    if mode in ("HORIZONTAL", "VERTICAL", "GRID"):
        kind = {"VERTICAL": "column", "HORIZONTAL": "row", "GRID": "grid"}[mode]
        if kind == "row" and raw.get("layoutWrap") == "WRAP":
            kind = "wrap"
        fnode.layout = Layout(
            mode=kind,
            gap=round(num(raw.get("itemSpacing"), 0)),
            pad=tuple(round(num(raw.get(f"padding{s}"), 0)) for s in ("Top", "Right", "Bottom", "Left")),  # type: ignore[arg-type]
            main=_ALIGN.get(token(raw.get("primaryAxisAlignItems")), "start"),
            cross=_ALIGN.get(token(raw.get("counterAxisAlignItems")), "start"),
            columns=integer(raw.get("gridColumnCount"), 0) or None if kind == "grid" else None,
            cross_gap=max(0, round(num(raw.get("counterAxisSpacing"), 0))) if kind == "wrap" else 0,
            reverse_z=raw.get("itemReverseZIndex") is True,
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


def own_sizing(fnode: FNode, raw: dict[str, Any]) -> None:
    sizing = list(fnode.sizing)
    for axis, key in enumerate(("layoutSizingHorizontal", "layoutSizingVertical")):
        if token(raw.get(key)) in _SIZING:
            sizing[axis] = _SIZING[raw[key]]
    fnode.sizing = (sizing[0], sizing[1])
    fnode.absolute = raw.get("layoutPositioning") == "ABSOLUTE"


def constraints(raw: dict[str, Any]) -> tuple[str, str]:
    """(horizontal, vertical) constraint of a layer placed by coordinates."""
    value = raw.get("constraints") if isinstance(raw.get("constraints"), dict) else {}
    return _PIN_H.get(token(value.get("horizontal")), "left"), _PIN_V.get(token(value.get("vertical")), "top")


def variant(raw: dict[str, Any]) -> dict[str, str]:
    """An instance's component properties: variants, booleans and texts (swaps are node ids, left out)."""
    props = raw.get("componentProperties")
    out: dict[str, str] = {}
    for key, prop in (props.items() if isinstance(props, dict) else []):
        if not isinstance(prop, dict) or prop.get("type") == "INSTANCE_SWAP" or len(out) >= MAX_PROPS:
            continue
        value = prop.get("value")
        if isinstance(value, (str, bool)):
            name = str(key).split("#", 1)[0].strip()[:60]  # `Label#12:3`: the id after '#' is Figma's
            out[name] = str(value).lower() if isinstance(value, bool) else value[:200]
    return out


def inherit_parent_sizing(parent: FNode, raw: dict[str, Any]) -> None:
    """Old files say layoutGrow / layoutAlign on children instead of layoutSizing*."""
    if parent.layout is None:
        return
    horizontal = parent.layout.mode in ("row", "wrap")
    raw_kids = {str(k.get("id", "?")): k for k in kids(raw)}
    for child in parent.children:
        kid = raw_kids.get(child.id, {})
        sizing = list(child.sizing)
        if "layoutSizingHorizontal" not in kid and "layoutSizingVertical" not in kid:
            if kid.get("layoutGrow") == 1:
                sizing[0 if horizontal else 1] = "fill"
            if kid.get("layoutAlign") == "STRETCH":
                sizing[1 if horizontal else 0] = "fill"
        child.sizing = (sizing[0], sizing[1])
