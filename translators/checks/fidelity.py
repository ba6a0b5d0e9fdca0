"""How close a rendered page is to its Figma frame (Design2Code-style metrics).

Elements on both sides are text runs and visible boxes (filled shapes, images, icons).
Pairs are matched greedily by score; per screen we report matched-box IoU, text similarity
and colour distance (CIEDE2000; lower is closer).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from typing import Any

from translators.checks.color import Rgb, delta_e, parse_color
from translators.figma.nodes import FNode

Box = tuple[float, float, float, float]
MIN_TEXT_SIMILARITY = 0.5
MIN_BOX_IOU = 0.1
POOR_IOU = 0.5
"""Matched boxes below this overlap are listed among what the score lost."""
MAX_LOST = 25
_SHADOW_PARTS = re.compile(r",(?![^(]*\))")
_CSS_COLOR = re.compile(r"rgba?\([^)]*\)")


@dataclass(frozen=True)
class Element:
    kind: str
    """text | box"""
    box: Box
    text: str | None = None
    color: Rgb | None = None
    features: frozenset[str] = frozenset()
    """What a faithful render must show beyond box and colour: gradient, shadow, italic, font X…"""
    label: str = ""
    """`layer name (node id)` on the Figma side, for the report."""


@dataclass
class Fidelity:
    texts: int
    texts_matched: int
    text_similarity: float
    """Mean over Figma texts (unmatched count as 0)."""
    text_iou: float
    """Mean IoU of matched text pairs."""
    boxes: int
    boxes_matched: int
    box_iou: float
    """Mean over Figma boxes (unmatched count as 0)."""
    color_delta_e: float | None
    """Mean CIEDE2000 over matched pairs with colours on both sides."""
    features: int = 0
    """Styling features on the Figma side (gradients, shadows, text case, fonts, …)."""
    features_kept: float = 1.0
    """Share of them the render shows (on unmatched elements they count as lost)."""
    lost: list[str] = field(default_factory=list)
    """What the score lost points to, worst first (missing elements, poor boxes, dropped features)."""

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def iou(a: Box, b: Box) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def figma_elements(root: FNode) -> list[Element]:
    """Texts and visible boxes of a normalised frame (the frame itself left out)."""
    out: list[Element] = []

    def visit(node: FNode) -> None:
        box = (node.bx, node.by, node.w, node.h)
        if node.kind == "text":
            color = node.style.color if node.style else None
            out.append(Element("text", box, node.text or "", parse_color(color)))
        elif node is not root and (node.fill is not None or node.glyph):
            color = node.glyph or (node.fill.color if node.fill and node.fill.kind == "solid" else None)
            out.append(Element("box", box, None, parse_color(color)))
        for child in node.children:
            visit(child)

    visit(root)
    return out


def html_elements(read: list[dict[str, Any]], root_id: str) -> list[Element]:
    """Texts and visible boxes of a rendered page (see render.render)."""
    out: list[Element] = []
    for el in read:
        if el["text"] is not None and el["text_box"]:
            out.append(Element("text", tuple(el["text_box"]), el["text"], parse_color(el["color"]),
                               _text_features(el.get("font") or {})))
        if el["id"] == root_id:
            continue
        features = _box_features(el)
        if el.get("control"):  # checkbox / switch: the control is the visible box
            out.append(Element("box", tuple(el["control"]["box"]), None, parse_color(el["control"]["bg"])))
        if el["tag"] == "img" or el["role"] == "img":
            color = el["border"] if el["tag"] == "span" else el["bg"]
            out.append(Element("box", tuple(el["box"]), None, parse_color(color), features | {"image"}))
        elif parse_color(el["bg"]) is not None or features:
            out.append(Element("box", tuple(el["box"]), None, _seen_color(el), features))
    return out


def _seen_color(el: dict[str, Any]) -> Rgb | None:
    """The background colour, or what the eye sees of a gradient over it: its mean stop colour."""
    stops = [parse_color(c) for c in _CSS_COLOR.findall(str((el.get("paint") or {}).get("image", "")))]
    stops = [c for c in stops if c is not None]
    if stops:
        return tuple(sum(c[i] for c in stops) / len(stops) for i in range(3))  # type: ignore[return-value]
    return parse_color(el["bg"])


def _box_features(el: dict[str, Any]) -> frozenset[str]:
    """The features of one rendered element's computed style (see render._READ_ELEMENTS)."""
    paint = el.get("paint") or {}
    out = set()
    image = str(paint.get("image", "none"))
    if "gradient(" in image:
        out.add("gradient")
    if "url(" in image:
        out.add("image")
    for part in _SHADOW_PARTS.split(str(paint.get("shadow", "none"))):
        if part.strip() not in ("", "none"):
            out.add("inner shadow" if "inset" in part else "shadow")
    if "blur(" in str(paint.get("filter", "")):
        out.add("blur")
    if "blur(" in str(paint.get("backdrop", "")):
        out.add("background blur")
    borders = paint.get("borders") or []
    if any(width > 0 and style not in ("none", "hidden") for width, style in borders):
        out.add("border")
        if any(style in ("dashed", "dotted") for _, style in borders):
            out.add("dashed")
    return frozenset(out)


def _text_features(font: dict[str, Any]) -> frozenset[str]:
    out = {f"font {name.strip().strip(chr(34) + chr(39))}" for name in str(font.get("family", "")).split(",")}
    out |= {{"uppercase": "upper case", "lowercase": "lower case", "capitalize": "title case"}.get(
        str(font.get("transform")), "")}
    out |= {d for d in ("underline",) if d in str(font.get("decoration", ""))}
    out |= {"strikethrough"} if "line-through" in str(font.get("decoration", "")) else set()
    out |= {"italic"} if str(font.get("style")) in ("italic", "oblique") else set()
    out |= {"letter spacing"} if str(font.get("spacing", "normal")) not in ("normal", "0px") else set()
    out |= {"link"} if font.get("link") else set()
    out |= {"styled ranges"} if font.get("ranges") else set()
    return frozenset(out - {"", "font "})


def _match(figma: list[Element], html: list[Element], text: bool) -> list[tuple[Element, Element, float, float]]:
    pairs = []
    for i, f in enumerate(figma):
        for j, h in enumerate(html):
            overlap = iou(f.box, h.box)
            if text:
                sim = SequenceMatcher(None, f.text or "", h.text or "", autojunk=False).ratio()
                if sim >= MIN_TEXT_SIMILARITY:
                    pairs.append((sim + overlap, i, j, overlap, sim))
            elif overlap >= MIN_BOX_IOU:
                pairs.append((overlap, i, j, overlap, 0.0))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    used_f, used_h, matched = set(), set(), []
    for _, i, j, overlap, sim in pairs:
        if i not in used_f and j not in used_h:
            used_f.add(i)
            used_h.add(j)
            matched.append((figma[i], html[j], overlap, sim))
    return matched


def compare(figma: list[Element], html: list[Element]) -> Fidelity:
    """Scores of a render against its reference. Nothing on the Figma side scores 1.0 only when
    the render shows nothing of that kind either: an empty render never scores 1.0."""
    ftexts = [e for e in figma if e.kind == "text"]
    fboxes = [e for e in figma if e.kind == "box"]
    htexts, hboxes = [e for e in html if e.kind == "text"], [e for e in html if e.kind == "box"]
    texts = _match(ftexts, htexts, text=True)
    boxes = _match(fboxes, hboxes, text=False)
    deltas = [delta_e(f.color, h.color) for f, h, _, _ in texts + boxes if f.color and h.color]
    wanted = sum(len(e.features) for e in figma)
    kept = sum(len(_kept(f, h)) for f, h, _, _ in texts + boxes)
    return Fidelity(
        texts=len(ftexts), texts_matched=len(texts),
        text_similarity=sum(s for *_, s in texts) / len(ftexts) if ftexts else float(not htexts),
        text_iou=sum(o for _, _, o, _ in texts) / len(texts) if texts else 0.0,
        boxes=len(fboxes), boxes_matched=len(boxes),
        box_iou=sum(o for _, _, o, _ in boxes) / len(fboxes) if fboxes else float(not hboxes),
        color_delta_e=sum(deltas) / len(deltas) if deltas else None,
        features=wanted, features_kept=kept / wanted if wanted else 1.0,
        lost=_lost(ftexts + fboxes, texts + boxes),
    )


def _kept(ref: Element, got: Element) -> set[str]:
    shown = {f.lower() for f in got.features}
    return {f for f in ref.features if f.lower() in shown}


def _lost(reference: list[Element], matched: list[tuple[Element, Element, float, float]]) -> list[str]:
    """Lines saying where points went: missing elements, poorly placed boxes, dropped features."""
    pairs = {id(f): (h, overlap) for f, h, overlap, _ in matched}
    missing, poor, dropped = [], [], []
    for ref in reference:
        what = f"text {ref.text[:30]!r}" if ref.kind == "text" else "box"
        where = f" {ref.label}" if ref.label else ""
        if id(ref) not in pairs:
            missing.append(f"missing {what}{where}" + (f" with {', '.join(sorted(ref.features))}" if ref.features else ""))
            continue
        got, overlap = pairs[id(ref)]
        if overlap < POOR_IOU:
            poor.append((overlap, f"{what}{where}: IoU {overlap:.2f}"))
        lost = sorted(ref.features - _kept(ref, got))
        if lost:
            dropped.append(f"{what}{where}: not rendered: {', '.join(lost)}")
    lines = missing + [line for _, line in sorted(poor)] + dropped
    return lines[:MAX_LOST] + ([f"… and {len(lines) - MAX_LOST} more"] if len(lines) > MAX_LOST else [])


def table(rows: dict[str, Fidelity]) -> str:
    """A markdown table, one row per screen."""
    head = ("| screen | texts matched | text sim | text IoU | boxes matched | box IoU | ΔE00 | features kept |\n"
            "|---|---|---|---|---|---|---|---|")
    lines = [head]
    for name, f in rows.items():
        de = f"{f.color_delta_e:.2f}" if f.color_delta_e is not None else "-"
        lines.append(f"| {name} | {f.texts_matched}/{f.texts} | {f.text_similarity:.3f} | {f.text_iou:.3f} | "
                     f"{f.boxes_matched}/{f.boxes} | {f.box_iou:.3f} | {de} | {f.features_kept:.2f} of {f.features} |")
    return "\n".join(lines)
