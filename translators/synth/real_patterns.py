"""Layer patterns seen in real Figma files (swatch rows, text stacks, captioned shapes, cards,
covers, auto-layout components, loose layers, groups), drawn as REST nodes in a box."""

from __future__ import annotations

from typing import Callable

from translators.synth.real_copy import chance, copy_text, pick
from translators.synth.design import solid
from translators.synth.real_nodes import Maker, Node, default_name, shift


# patterns: a few layers placed in the box (x, y, w, h) ------------------------------------------

def swatches(mk: Maker, x: float, y: float, w: float, h: float) -> list[Node]:
    """A row (or grid) of same-size shapes that differ in paint and effects."""
    rng = mk.rng
    side = pick(rng, [24, 32, 40, 48, 50, 50, 64, 80])
    count = int(rng.integers(2, 6))
    step = side + pick(rng, [8, 16, 20, 23, 25])
    figma_type = pick(rng, ["RECTANGLE", "RECTANGLE", "RECTANGLE", "ELLIPSE", "ELLIPSE", "VECTOR", "STAR"])
    return [mk.shape(x + 10 + i * step, y + (h - side) / 2, side, side, figma_type) for i in range(count)]


def text_stack(mk: Maker, x: float, y: float, w: float, h: float) -> list[Node]:
    """Texts under each other at one x (a z-index table, a legend, a paragraph)."""
    rng = mk.rng
    size = pick(rng, [12, 14, 16, 18, 24, 48])
    step = round(size * pick(rng, [1.4, 1.5, 2.0]))
    width = pick(rng, [None, None, round(min(w, 614))])
    return [mk.text(x + 12, y + 8 + i * step, size=size, width=width) for i in range(int(rng.integers(1, 5)))]


def labelled(mk: Maker, x: float, y: float, w: float, h: float) -> list[Node]:
    """Frames or groups each holding a shape with a caption under it (a palette, an avatar list)."""
    rng = mk.rng
    out = []
    side = pick(rng, [32, 40, 48, 56])
    figma_type = pick(rng, ["FRAME", "GROUP"])
    for i in range(int(rng.integers(1, 4))):
        cx = x + i * (side + 30)
        kids = [mk.shape(cx + 11, y + 11, side, side, pick(rng, ["ELLIPSE", "RECTANGLE"])),
                mk.text(cx + 6, y + side + 22, size=pick(rng, [11, 12, 13]))]
        out.append(mk.holder(figma_type, default_name(rng), cx, y, side + 24, side + 40, kids))
    return out


def card(mk: Maker, x: float, y: float, w: float, h: float) -> list[Node]:
    """A frame with a background and absolutely placed content: picture, texts, icon, price."""
    rng = mk.rng
    cw, ch = round(min(w, pick(rng, [240, 280, 327, 343, 400]))), pick(rng, [96, 120, 160, 200, 240])
    kids: list[Node] = []
    if chance(rng, 0.5):
        kids.append(mk.shape(x, y, cw, round(ch * 0.45), "RECTANGLE"))
    top = y + (round(ch * 0.45) + 8 if kids else 16)
    for i in range(int(rng.integers(1, 3))):
        kids.append(mk.text(x + 16, top + i * 24, size=pick(rng, [13, 14, 16, 18])))
    if chance(rng, 0.4):
        kids.append(mk.icon(x + cw - 40, y + 12, pick(rng, [16, 20, 24])))
    node = mk.holder(pick(rng, ["FRAME", "FRAME", "INSTANCE", "COMPONENT"]), mk.name("Card"), x, y, cw, ch, kids)
    if not node["fills"]:
        node["fills"] = [solid(pick(rng, ["#FFFFFF", "#FFFFFF", "#F5F5F5", "#111827"]))]
    return [node]


def cover(mk: Maker, x: float, y: float, w: float, h: float) -> list[Node]:
    """A full-size background with a large headline over it, pinned to scale."""
    rng = mk.rng
    back = mk.shape(x, y, w, h, "RECTANGLE")
    size = pick(rng, [32, 48, 64, 96, 146])
    title = mk.text(x + w * 0.15, y + h * 0.35, text=copy_text(rng)[:24].strip() or "Cover", size=size)
    for node in (back, title):
        node["constraints"] = {"vertical": "SCALE", "horizontal": "SCALE"}
    return [back, title]


def auto_layout(mk: Maker, x: float, y: float, w: float, h: float, depth: int = 0) -> list[Node]:
    """An auto-layout component: a button, a chip row, a header, a list of texts; now and then
    one holding another (a column of rows), with children that fill the cross axis."""
    rng = mk.rng
    horizontal = chance(rng, 0.6)
    gap, pad = pick(rng, [0, 4, 8, 10, 12, 16, 40]), pick(rng, [0, 8, 12, 16, 20])
    kids = [mk.text(x, y, size=pick(rng, [12, 14, 16, 20])) for _ in range(int(rng.integers(1, 4)))]
    if chance(rng, 0.3):
        kids.insert(0, mk.icon(x, y, pick(rng, [16, 20, 24])))
    if depth == 0 and chance(rng, 0.3):
        kids.insert(int(rng.integers(0, len(kids) + 1)), auto_layout(mk, x, y, w, h, 1)[0])
    sizes = [(k["absoluteBoundingBox"]["width"], k["absoluteBoundingBox"]["height"]) for k in kids]
    at = pad
    for kid, (kw, kh) in zip(kids, sizes):  # children in flow: boxes follow the layout
        shift(kid, x + (at if horizontal else pad) - kid["absoluteBoundingBox"]["x"],
              y + (pad if horizontal else at) - kid["absoluteBoundingBox"]["y"])
        at += (kw if horizontal else kh) + gap
        if not horizontal and kid["type"] != "INSTANCE" and chance(rng, 0.25):
            kid["layoutSizingHorizontal"] = "FILL"
    fw = at - gap + pad if horizontal else max(s[0] for s in sizes) + 2 * pad
    fh = max(s[1] for s in sizes) + 2 * pad if horizontal else at - gap + pad
    layout = {"layoutMode": "HORIZONTAL" if horizontal else "VERTICAL", "itemSpacing": gap,
              "paddingTop": pad, "paddingBottom": pad, "paddingLeft": pad, "paddingRight": pad,
              "primaryAxisSizingMode": pick(rng, ["AUTO", "FIXED"]), "counterAxisSizingMode": "AUTO"}
    if chance(rng, 0.4):
        layout["counterAxisAlignItems"] = "CENTER"
    if chance(rng, 0.3):
        layout["primaryAxisAlignItems"] = pick(rng, ["CENTER", "SPACE_BETWEEN", "MAX"])
    figma_type = pick(rng, ["INSTANCE", "INSTANCE", "FRAME", "COMPONENT"])
    node = mk.holder(figma_type, mk.name("Frame"), x, y, fw, fh, kids, layout)
    if figma_type == "INSTANCE" and chance(rng, 0.4):
        variant = pick(rng, ["Primary", "Secondary", "Mobile Primary", "Default", "Hover", "Large"])
        node["componentId"] = f"{node['componentId'].split('/')[0]}/Property 1={variant}"
        node["componentProperties"] = {"Property 1": {"type": "VARIANT", "value": variant}}
        if chance(rng, 0.5):
            node["componentProperties"][f"Show icon#{int(rng.integers(1, 99))}:0"] = {"type": "BOOLEAN",
                                                                                    "value": chance(rng, 0.5)}
    return [node]


def odds(mk: Maker, x: float, y: float, w: float, h: float) -> list[Node]:
    """Loose layers: a divider, an icon, a vector, a picture, a lone label."""
    rng = mk.rng
    out: list[Node] = []
    for _ in range(int(rng.integers(1, 4))):
        px, py = x + float(rng.integers(0, max(1, int(w * 0.7)))), y + float(rng.integers(0, max(1, int(h * 0.7))))
        make = pick(rng, ["line", "icon", "shape", "shape", "text", "text"])
        if make == "line":
            out.append(mk.line(px, py, pick(rng, [120, 200, round(w * 0.8)])))
        elif make == "icon":
            out.append(mk.icon(px, py, pick(rng, [16, 20, 24, 32])))
        elif make == "shape":
            out.append(mk.shape(px, py, pick(rng, [24, 40, 64, 120, 229]), pick(rng, [24, 40, 71, 100])))
        else:
            out.append(mk.text(px, py))
    return out


def group(mk: Maker, x: float, y: float, w: float, h: float) -> list[Node]:
    """A GROUP (or plain frame) wrapping another pattern."""
    rng = mk.rng
    inner = pick(rng, [swatches, text_stack, odds, auto_layout])(mk, x + 8, y + 8, w - 16, h - 16)
    boxes = [k["absoluteBoundingBox"] for k in inner]
    left, top = min(b["x"] for b in boxes), min(b["y"] for b in boxes)
    right, bottom = max(b["x"] + b["width"] for b in boxes), max(b["y"] + b["height"] for b in boxes)
    figma_type = pick(rng, ["GROUP", "GROUP", "FRAME"])
    return [mk.holder(figma_type, mk.name("Group"), left, top, right - left, bottom - top, inner)]


PATTERNS: list[tuple[float, Callable[..., list[Node]]]] = [
    (0.16, swatches), (0.16, text_stack), (0.1, labelled), (0.14, card), (0.06, cover), (0.14, auto_layout),
    (0.14, odds), (0.1, group)]
