"""Fidelity is measured against the Figma file itself: what ingest or a target drops lowers the
score, an empty render never scores 1.0, and the report says where the points went."""

from __future__ import annotations

import pytest

from translators.baseline import build_spec
from translators.checks.fidelity import Element, compare, html_elements
from translators.checks.reference import reference_elements
from translators.checks.render import Page, render
from translators.figma import ingest
from translators.targets.html import render_html
from translators.ui_spec import load_spec

RED = {"r": 1, "g": 0, "b": 0, "a": 1}
BLUE = {"r": 0, "g": 0, "b": 1, "a": 1}


def _frame():
    card = {"id": "1:2", "name": "Card", "type": "RECTANGLE",
            "absoluteBoundingBox": {"x": 120, "y": 70, "width": 200, "height": 100},
            "fills": [{"type": "GRADIENT_LINEAR", "gradientStops": [{"color": RED, "position": 0},
                                                                      {"color": BLUE, "position": 1}]}],
            "effects": [{"type": "DROP_SHADOW", "offset": {"x": 0, "y": 4}, "radius": 8, "color": {**BLUE, "a": 0.3}},
                        {"type": "INNER_SHADOW", "offset": {"x": 0, "y": 1}, "radius": 2, "color": RED}]}
    title = {"id": "1:3", "name": "Title", "type": "TEXT", "characters": "Hello",
             "absoluteBoundingBox": {"x": 120, "y": 200, "width": 60, "height": 20},
             "style": {"fontFamily": "Oswald", "fontSize": 16, "textCase": "UPPER", "italic": True},
             "fills": [{"type": "SOLID", "color": RED}]}
    hidden = {"id": "1:4", "name": "Hidden", "type": "RECTANGLE", "visible": False,
              "absoluteBoundingBox": {"x": 100, "y": 50, "width": 10, "height": 10}, "fills": [{"type": "SOLID", "color": RED}]}
    return {"id": "1:1", "name": "Screen", "type": "FRAME", "absoluteBoundingBox": {"x": 100, "y": 50, "width": 375, "height": 300},
            "fills": [{"type": "SOLID", "color": {"r": 1, "g": 1, "b": 1, "a": 1}}], "children": [card, title, hidden]}


def test_reference_reads_every_visible_layer_of_the_raw_file():
    card, title = reference_elements(_frame())
    assert (card.kind, card.box, card.label) == ("box", (20.0, 20.0, 200.0, 100.0), "Card (1:2)")
    assert card.features == {"gradient", "shadow", "inner shadow"}
    assert card.color == (127.5, 0.0, 127.5)  # a gradient is seen as its mean stop colour
    assert (title.kind, title.text, title.color) == ("text", "Hello", (255.0, 0.0, 0.0))
    assert title.features == {"font Oswald", "upper case", "italic"}


def test_an_empty_render_never_scores_one():
    empty = compare(reference_elements(_frame()), [])
    assert (empty.text_similarity, empty.box_iou, empty.features_kept) == (0.0, 0.0, 0.0)
    assert empty.lost == ["missing text 'Hello' Title (1:3) with font Oswald, italic, upper case",
                          "missing box Card (1:2) with gradient, inner shadow, shadow"]
    nothing = compare([], [])
    assert (nothing.text_similarity, nothing.box_iou) == (1.0, 1.0)  # an empty frame, rendered empty
    extra = compare([], [Element("text", (0, 0, 5, 5), "stray")])
    assert extra.text_similarity == 0.0


@pytest.fixture(scope="module")
def flattened_and_faithful():
    flat = load_spec("""
screen: s
width: 375
height: 300
bg: '#FFFFFF'
root:
  type: stack
  id: root
  children:
  - {type: image, id: card, x: 20, y: 20, w: 200, h: 100, bg: '#FF0000', shadow: {y: 4, blur: 8, color: '#0000FF4D'}}
  - {type: text, id: title, x: 20, y: 150, text: Hello, size: 16, color: '#FF0000'}
""")
    page = Page(render_html(flat), 375, 300)
    return render([page])[0], flat


def test_flattened_gradients_and_dropped_text_styles_cost_points(flattened_and_faithful):
    read, spec = flattened_and_faithful
    score = compare(reference_elements(_frame()), html_elements(read, spec.root.id))
    assert score.box_iou == 1.0 and score.text_similarity == 1.0  # the geometry is right...
    assert score.features == 6 and score.features_kept == pytest.approx(1 / 6)  # ...only the drop shadow survived
    assert score.lost == ["text 'Hello' Title (1:3): not rendered: font Oswald, italic, upper case",
                          "box Card (1:2): not rendered: gradient, inner shadow"]
    assert score.color_delta_e > 20  # the first stop is not what the eye sees of a red-blue gradient


def test_the_baseline_now_renders_every_feature_of_the_frame():
    spec = build_spec(ingest(_frame()).root, "s")
    read = render([Page(render_html(spec), spec.width, spec.height)])[0]
    score = compare(reference_elements(_frame()), html_elements(read, spec.root.id))
    assert (score.features, score.features_kept, score.lost) == (6, 1.0, [])
    assert score.box_iou == pytest.approx(1.0) and score.text_similarity == 1.0
    assert score.color_delta_e < 1  # both sides see the gradient as its mean stop colour
