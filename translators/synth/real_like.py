"""Synthetic screens that look like real Figma files and their sections, for the embedded model.

    prompt, completion = real_like_example(np.random.default_rng(7))

Real frames are mostly absolutely placed layers (rects, ellipses, vectors, lines, texts, groups)
of odd sizes with shadows, gradients, strokes and opacity, with some auto-layout components
among them (`real_patterns`). A random REST file of that kind is drawn, read by the real
ingest, and cut as `translators.sections.plan` cuts a screen: the prompt is the compact tree of
a parent with a run of its children, and the completion is the rule-based spec of the same
nodes, so it is valid and faithful by construction. A run is shrunk (or a child split) until it
fits the embedded model: prompt + 512 <= 768 tokens and spec tokens x 1.25 (the planner's
margin) <= 512, counted with its tokenizer and chat template.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any

from translators.baseline import build_spec
from translators.figma import ingest
from translators.figma.compact import compact_tree
from translators.figma.nodes import FNode
from translators.sections.plan import OUTPUT_MARGIN, Budget, embedded_budget, spec_texts
from translators.synth.real_copy import chance, pick
from translators.synth.design import solid
from translators.synth.real_nodes import COLORS, Maker, Node, shift
from translators.synth.real_patterns import PATTERNS
from translators.ui_spec import ALL_TARGETS, check_spec, dump_spec

CONTEXT_TOKENS, MAX_TOKENS = 768, 512
ROOT_SIZES = [(593, 100), (375, 812), (1440, 900), (1920, 960), (360, 83), (350, 267), (162, 18), (390, 844),
              (2061, 950), (800, 600), (1280, 720), (320, 180), (600, 400), (240, 320), (1024, 768)]
ROOT_NAMES = ["Shadows", "Opacities", "Cover", "zIndex", "Color Palette", "Color Styles", "iPhone X", "Desktop",
              "Landing", "Pricing", "Dashboard", "Components", "Typography", "Frame 1", "Group 7", "Hero section",
              "Footer", "Onboarding 2", "Modal", "Empty state", "Checkout", "Profile card", "Tokens"]
MAX_TRIES = 30


def _terse(compact: str) -> str:
    """The terse prompt: the compact tree alone (recipes/prompts/figma_spec_terse.j2)."""
    return compact


@functools.cache
def budget() -> Budget:
    """The embedded model's budget (its tokenizer and chat template), built once."""
    return embedded_budget(CONTEXT_TOKENS, MAX_TOKENS, _terse)


def real_like_example(rng: Any) -> tuple[str, str]:
    """(prompt, completion) for the embedded model's training mixture: the compact tree of a
    random real-looking section and its rule-based spec YAML. `rng` is a numpy Generator."""
    for _ in range(MAX_TRIES):
        found = real_like_section(rng)
        if found is not None:
            return found
    raise RuntimeError(f"no real-like section fitted the budget in {MAX_TRIES} draws")  # pragma: no cover


def real_like_section(rng: Any) -> tuple[str, str] | None:
    """One draw: a file, ingested, cut to a section that fits; None when none fits or the spec
    fails a check (the caller draws again)."""
    root = ingest(draw_file(rng)).root
    measured = _fit(root, rng, budget())
    if measured is None:
        return None
    compact, spec_yaml, node = measured
    checked = check_spec(spec_yaml, targets=ALL_TARGETS)
    if not checked.ok or checked.spec is None or spec_texts(checked.spec) != layer_texts(node):
        return None
    return compact, spec_yaml


def _measure(node: FNode, b: Budget) -> tuple[str, str, str | None]:
    """(compact, spec YAML, why it does not fit or None), as `Budget.measure` and `misfit` count."""
    compact = compact_tree(node)
    spec_yaml = dump_spec(build_spec(node))
    expected = round(b.count([{"role": "assistant", "content": spec_yaml}]) * OUTPUT_MARGIN)
    prompt_tokens = b.count([{"role": "user", "content": b.render(compact)}])
    return compact, spec_yaml, b.misfit({"prompt_tokens": prompt_tokens, "expected_tokens": expected})


def layer_texts(node: FNode) -> set[str]:
    """Every text of the layer and its children."""
    own = {node.text} if node.text else set()
    return own.union(*(layer_texts(c) for c in node.children))


def draw_file(rng: Any) -> dict[str, Any]:
    """A GET /v1/files response whose page holds one random real-looking frame (a group: the
    bare node)."""
    mk = Maker(rng)
    w, h = pick(rng, ROOT_SIZES) if chance(rng, 0.7) else (int(rng.integers(80, 1600)), int(rng.integers(40, 1000)))
    ox, oy = float(rng.integers(-3000, 3000)), float(rng.integers(-2000, 2000))
    weights = [p for p, _ in PATTERNS]
    kids: list[Node] = []
    for _ in range(int(rng.integers(1, 4))):
        pattern = PATTERNS[int(rng.choice(len(PATTERNS), p=weights))][1]
        bx, by = ox + float(rng.integers(0, max(1, w // 2))), oy + float(rng.integers(0, max(1, h // 2)))
        kids += pattern(mk, bx, by, max(40.0, ox + w - bx), max(40.0, oy + h - by))
    if chance(rng, 0.5):
        kids.reverse()  # z-order, not reading order, as real files list layers
    figma_type = pick(rng, ["FRAME"] * 7 + ["GROUP", "COMPONENT"])
    layout = _root_layout(rng, kids, ox, oy)
    margin = pick(rng, [0, 8, 16, 24, 33])  # the frame holds its layers, as designers draw them
    w = max(w, max(k["absoluteBoundingBox"]["x"] + k["absoluteBoundingBox"]["width"] for k in kids) - ox + margin)
    h = max(h, max(k["absoluteBoundingBox"]["y"] + k["absoluteBoundingBox"]["height"] for k in kids) - oy + margin)
    root = mk.holder(figma_type, pick(rng, ROOT_NAMES), ox, oy, round(w), round(h), kids, layout)
    if figma_type == "FRAME" and chance(rng, 0.7):
        root["fills"] = [solid(pick(rng, ["#FFFFFF"] * 5 + COLORS))]
    root["effects"] = []
    if figma_type == "GROUP":
        return root  # a bare node, as a page's group is saved
    components = {c: {"key": c, "name": c, "description": ""} for c in _component_ids(root)}
    page = {"id": "0:1", "name": "Page 1", "type": "CANVAS", "children": [root], "backgroundColor": solid("#E5E5E5")["color"]}
    return {"document": {"id": "0:0", "name": "Document", "type": "DOCUMENT", "children": [page]},
            "components": components, "styles": {}, "name": "real-like", "schemaVersion": 0}


def _root_layout(rng: Any, kids: list[Node], ox: float, oy: float) -> dict[str, Any] | None:
    """Now and then an auto-layout screen: its children are moved into a column or row."""
    if not chance(rng, 0.25):
        return None
    vertical, gap, pad = chance(rng, 0.7), pick(rng, [0, 8, 16, 24]), pick(rng, [0, 16, 24])
    at = pad
    for kid in kids:
        box = kid["absoluteBoundingBox"]
        shift(kid, ox + (pad if vertical else at) - box["x"], oy + (at if vertical else pad) - box["y"])
        at += (box["height"] if vertical else box["width"]) + gap
    return {"layoutMode": "VERTICAL" if vertical else "HORIZONTAL", "itemSpacing": gap, "paddingTop": pad,
            "paddingBottom": pad, "paddingLeft": pad, "paddingRight": pad,
            "primaryAxisSizingMode": "FIXED", "counterAxisSizingMode": "FIXED"}


def _component_ids(node: Node) -> set[str]:
    own = {node["componentId"]} if "componentId" in node else set()
    return own.union(*(_component_ids(k) for k in node.get("children", [])))


def _fit(root: FNode, rng: Any, b: Budget) -> tuple[str, str, FNode] | None:
    """The whole frame if it fits, else a run of a parent's children that does (halved until it
    fits; a single child too big is split into its own children), as the planner cuts."""
    parent, kids = root, root.children
    start, length = 0, len(kids)
    for _ in range(12):
        node = replace(parent, children=kids[start:start + length])
        compact, spec_yaml, why = _measure(node, b)
        if why is None:
            return compact, spec_yaml, node
        if length > 1:
            length = int(rng.integers(1, length))
            start = int(rng.integers(0, len(kids) - length + 1))
        elif kids and kids[start].children:
            parent = kids[start]
            kids = parent.children
            length = int(rng.integers(1, len(kids) + 1))
            start = int(rng.integers(0, len(kids) - length + 1))
        else:
            return None
    return None
