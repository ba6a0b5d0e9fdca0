"""Styled text ranges and links are fidelity features: kept when the render shows them as
styled runs and anchors, lost (and named) when a spec drops them."""

from __future__ import annotations

from translators.baseline import build_spec
from translators.checks.fidelity import compare, html_elements
from translators.checks.reference import reference_elements
from translators.checks.render import Page, render
from translators.figma import ingest
from translators.targets.html import render_html

BLACK = [{"type": "SOLID", "color": {"r": 0, "g": 0, "b": 0, "a": 1}}]
LINK = {"type": "URL", "url": "https://example.com/docs"}


def _text(node_id, chars, y, **extra):
    return {"id": node_id, "name": f"T{node_id}", "type": "TEXT", "characters": chars, "fills": BLACK,
            "absoluteBoundingBox": {"x": 10, "y": y, "width": 300, "height": 20},
            "style": {"fontFamily": "Inter", "fontSize": 14, "fontWeight": 400}, **extra}


def _frame():
    ranged = _text("1:2", "plain bold", 10, characterStyleOverrides=[0] * 6 + [1] * 4,
                   styleOverrideTable={"1": {"fontWeight": 700}})
    linked = _text("1:3", "see docs", 40, characterStyleOverrides=[0] * 4 + [2] * 4,
                   styleOverrideTable={"2": {"hyperlink": LINK}})
    whole = _text("1:4", "all of it", 70)
    whole["style"] = {**whole["style"], "hyperlink": LINK}
    prototype = _text("1:5", "next screen", 100, style={"fontFamily": "Inter", "fontSize": 14,
                                                         "hyperlink": {"type": "NODE", "nodeID": "9:9"}})
    return {"id": "1:1", "name": "Screen", "type": "FRAME",
            "absoluteBoundingBox": {"x": 0, "y": 0, "width": 320, "height": 130},
            "fills": [{"type": "SOLID", "color": {"r": 1, "g": 1, "b": 1, "a": 1}}],
            "children": [ranged, linked, whole, prototype]}


def test_reference_sees_styled_ranges_and_web_links():
    features = {e.label: e.features - {"font Inter"} for e in reference_elements(_frame())}
    # a range that only links is a link, not styling; a prototype link to a frame is no web link
    assert features == {"T1:2 (1:2)": {"styled ranges"}, "T1:3 (1:3)": {"link"}, "T1:4 (1:4)": {"link"},
                        "T1:5 (1:5)": set()}


def test_render_keeps_ranges_and_links_and_a_flat_spec_loses_them():
    frame = _frame()
    spec = build_spec(ingest(frame).root)
    flat = spec.model_copy(deep=True)
    for child in flat.root.children:
        child.spans, child.link = None, None
    reads = render([Page(render_html(s), s.width, s.height) for s in (spec, flat)])
    kept, lost = (compare(reference_elements(frame), html_elements(read, s.root.id))
                  for read, s in zip(reads, (spec, flat)))
    assert (kept.features, kept.features_kept) == (7, 1.0), kept.lost
    assert lost.features_kept == 4 / 7
    assert sorted(lost.lost) == ["text 'all of it' T1:4 (1:4): not rendered: link",
                                 "text 'plain bold' T1:2 (1:2): not rendered: styled ranges",
                                 "text 'see docs' T1:3 (1:3): not rendered: link"]
