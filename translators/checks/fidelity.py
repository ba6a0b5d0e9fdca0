"""How close a rendered page is to its Figma frame (Design2Code-style metrics).

Elements on both sides are text runs and visible boxes (filled shapes, images, icons).
Pairs are matched greedily by score; per screen we report matched-box IoU, text similarity
and colour distance (CIEDE2000; lower is closer).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from typing import Any

from translators.checks.color import Rgb, delta_e, parse_color
from translators.figma.nodes import FNode

Box = tuple[float, float, float, float]
MIN_TEXT_SIMILARITY = 0.5
MIN_BOX_IOU = 0.1


@dataclass(frozen=True)
class Element:
    kind: str
    """text | box"""
    box: Box
    text: str | None = None
    color: Rgb | None = None


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
            out.append(Element("text", tuple(el["text_box"]), el["text"], parse_color(el["color"])))
        if el["id"] == root_id:
            continue
        if el.get("control"):  # checkbox / switch: the control is the visible box
            out.append(Element("box", tuple(el["control"]["box"]), None, parse_color(el["control"]["bg"])))
        if el["tag"] == "img" or el["role"] == "img":
            color = el["border"] if el["tag"] == "span" else el["bg"]
            out.append(Element("box", tuple(el["box"]), None, parse_color(color)))
        elif parse_color(el["bg"]) is not None:
            out.append(Element("box", tuple(el["box"]), None, parse_color(el["bg"])))
    return out


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
    ftexts = [e for e in figma if e.kind == "text"]
    fboxes = [e for e in figma if e.kind == "box"]
    texts = _match(ftexts, [e for e in html if e.kind == "text"], text=True)
    boxes = _match(fboxes, [e for e in html if e.kind == "box"], text=False)
    deltas = [delta_e(f.color, h.color) for f, h, _, _ in texts + boxes if f.color and h.color]
    return Fidelity(
        texts=len(ftexts), texts_matched=len(texts),
        text_similarity=sum(s for *_, s in texts) / len(ftexts) if ftexts else 1.0,
        text_iou=sum(o for _, _, o, _ in texts) / len(texts) if texts else 0.0,
        boxes=len(fboxes), boxes_matched=len(boxes),
        box_iou=sum(o for _, _, o, _ in boxes) / len(fboxes) if fboxes else 1.0,
        color_delta_e=sum(deltas) / len(deltas) if deltas else None,
    )


def table(rows: dict[str, Fidelity]) -> str:
    """A markdown table, one row per screen."""
    head = ("| screen | texts matched | text sim | text IoU | boxes matched | box IoU | ΔE00 |\n"
            "|---|---|---|---|---|---|---|")
    lines = [head]
    for name, f in rows.items():
        de = f"{f.color_delta_e:.2f}" if f.color_delta_e is not None else "-"
        lines.append(f"| {name} | {f.texts_matched}/{f.texts} | {f.text_similarity:.3f} | {f.text_iou:.3f} | "
                     f"{f.boxes_matched}/{f.boxes} | {f.box_iou:.3f} | {de} |")
    return "\n".join(lines)
