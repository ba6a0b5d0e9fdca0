"""Styled ranges, links, paragraph spacing, constraints, clipping, reversed z-order, image fills
behind children, component variants, vector paths and rotation: from the Figma JSON through the
baseline spec into all three targets, through the real compilers and chromium; every string from
the file escaped in each target; what DivKit cannot draw listed, not dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from translators.baseline import build_spec
from translators.checks.render import Page, render
from translators.figma import ingest
from translators.figma.assets import attach_image_refs
from translators.steps import check_code, write_code, write_report
from translators.targets.coverage import not_drawn
from translators.targets.html import render_html
from translators.ui_spec import ALL_TARGETS, check_spec, dump_spec, load_spec

HOSTILE = "</script><img src=x onerror=alert(1)>\"' @{evil} \\ ${x} {y}"


def _box(x, y, w, h):
    return {"x": x, "y": y, "width": w, "height": h}


def _solid(r, g, b):
    return [{"type": "SOLID", "color": {"r": r, "g": g, "b": b, "a": 1}}]


def _figma():
    body = {"id": "2:1", "name": "Body", "type": "TEXT", "characters": "Hello bold\nSee docs", "absoluteBoundingBox": _box(10, 10, 200, 60),
            "fills": _solid(0, 0, 0), "style": {"fontSize": 16, "paragraphSpacing": 10, "textAutoResize": "HEIGHT"},
            "characterStyleOverrides": [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 2, 2, 2, 2],
            "styleOverrideTable": {"1": {"fontWeight": 700, "italic": True},
                                   "2": {"fills": _solid(1, 0, 0), "hyperlink": {"type": "URL", "url": "https://example.com/?q='a'&b=1"}}}}
    badge = {"id": "2:2", "name": "Badge", "type": "RECTANGLE", "absoluteBoundingBox": _box(340, 180, 50, 10),
             "fills": _solid(1, 0, 0), "constraints": {"horizontal": "RIGHT", "vertical": "BOTTOM"}}
    hero = {"id": "2:3", "name": "Hero", "type": "FRAME", "clipsContent": True, "absoluteBoundingBox": _box(10, 90, 100, 60),
            "fills": [{"type": "IMAGE", "scaleMode": "FILL", "imageRef": "0a1b2c"}],
            "children": [{"id": "2:4", "name": "Spill", "type": "RECTANGLE", "absoluteBoundingBox": _box(20, 100, 200, 20),
                          "fills": _solid(0, 0, 1)}]}
    chip = {"id": "2:5", "name": "Chip", "type": "INSTANCE", "componentId": "9:1", "absoluteBoundingBox": _box(130, 90, 80, 30),
            "layoutMode": "HORIZONTAL", "itemReverseZIndex": True, "itemSpacing": -10, "fills": _solid(1, 1, 0),
            "componentProperties": {"State": {"type": "VARIANT", "value": HOSTILE}},
            "children": [{"id": "2:6", "name": "A", "type": "RECTANGLE", "absoluteBoundingBox": _box(130, 90, 40, 30), "fills": _solid(0, 0, 0)},
                         {"id": "2:7", "name": "B", "type": "RECTANGLE", "absoluteBoundingBox": _box(160, 90, 40, 30), "fills": _solid(1, 0, 1)}]}
    arrow = {"id": "2:8", "name": "Arrow", "type": "VECTOR", "absoluteBoundingBox": _box(250, 20, 24, 24), "fills": _solid(0, 0.5, 0),
             "fillGeometry": [{"path": "M0 0L24 12L0 24Z", "windingRule": "NONZERO"}]}
    bar = {"id": "2:9", "name": "Bar", "type": "RECTANGLE", "absoluteBoundingBox": _box(300, 20, 10, 40), "fills": _solid(0, 0, 0),
           "size": {"x": 40, "y": 10}, "relativeTransform": [[0, 1, 0], [-1, 0, 0]]}
    frame = {"id": "1:1", "name": "Screen", "type": "FRAME", "absoluteBoundingBox": _box(0, 0, 400, 200), "fills": _solid(1, 1, 1),
             "children": [body, badge, hero, chip, arrow, bar]}
    return {"document": frame, "components": {"9:1": {"name": HOSTILE}}}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    screen = ingest(_figma())
    spec, attached = attach_image_refs(build_spec(screen.root, "structure"), screen.root)
    files = write_code(spec, tmp_path_factory.mktemp("structure"), ALL_TARGETS)
    read = render([Page(render_html(spec), spec.width, spec.height)])[0]
    return screen, spec, attached, files, {el["id"]: el for el in read}


def test_the_spec_carries_the_structure(built):
    screen, spec, attached, _, _ = built
    assert screen.warnings == [] and attached is True
    assert check_spec(dump_spec(spec), targets=ALL_TARGETS).ok
    body, badge, hero, chip, arrow, bar = spec.root.children
    assert [(s.start, s.end) for s in body.spans] == [(6, 10), (15, 19)] and body.paragraph_spacing == 10
    assert badge.pin == ("right", "bottom") and hero.clip is True and hero.bg_image.ref == "0a1b2c"
    assert chip.reverse_z is True and chip.variant == {"State": HOSTILE} and chip.component == HOSTILE
    assert arrow.type == "vector" and bar.rotate == -90


def test_every_target_compiles_and_keeps_every_string(built):
    _, spec, _, files, _ = built
    result = check_code(spec, files)
    assert result["ok"] is True and result["strings_intact"] == {"html": True, "react_tsx": True, "divkit": True}, result


def test_strings_from_the_file_are_escaped_in_each_target(built):
    _, _, _, files, _ = built
    html = Path(files["html"][0]).read_text(encoding="utf-8")
    tsx = Path(files["react_tsx"][0]).read_text(encoding="utf-8")
    assert "<img" not in html and "</script>" not in html and "&lt;/script&gt;&lt;img" in html
    assert 'href="https://example.com/?q=&#x27;a&#x27;&amp;b=1"' in html
    assert "</script>" not in tsx and '"\\u003c/script\\u003e\\u003cimg' in tsx
    card = json.loads(Path(next(p for p in files["divkit"] if p.endswith(".json"))).read_text(encoding="utf-8"))
    params = [d for d in card["card"]["states"][0]["div"]["items"] if d["id"] == "chip"][0]["extensions"][0]["params"]
    assert params["component"] == HOSTILE.replace("\\", "\\\\").replace("@{", "\\@{")


def test_the_render_follows_the_file(built):
    *_, els = built
    assert els["badge"]["box"] == [340, 180, 50, 10]  # pinned right/bottom, at the file's place
    assert els["body"]["text"] == "Hello bold\nSee docs"
    top, bottom = els["body"]["text_box"][1], els["body"]["text_box"][1] + els["body"]["text_box"][3]
    assert bottom - top == pytest.approx(2 * 19 + 10, abs=3)  # two lines and the paragraph gap
    assert els["arrow"]["box"] == [250, 20, 24, 24]
    assert [round(v) for v in els["bar"]["box"]] == [300, 20, 10, 40]  # 40x10 turned a quarter
    assert els["hero"]["box"] == [10, 90, 100, 60]


def test_what_divkit_does_not_draw_is_listed(built):
    _, spec, *_ = built
    assert not_drawn(spec) == {"divkit": ["italic text (1 node)", "paragraph spacing (1 node)", "reversed z-order (1 node)"]}


def test_the_run_report_lists_what_a_target_does_not_draw(built, tmp_path):
    _, spec, *_ = built
    report = write_report(tmp_path, "structure", {"spec": {"spec_yaml": dump_spec(spec), "source": "baseline"}})
    assert "- not drawn in divkit: italic text (1 node), paragraph spacing (1 node), reversed z-order (1 node)" in \
        report.read_text(encoding="utf-8").splitlines()


PINNED = """screen: pins
width: 300
height: 200
root:
  type: stack
  id: root
  children:
  - {type: spacer, id: mid, x: 100, y: 20, w: 60, h: 20, bg: '#FF0000', pin: [center, top]}
  - {type: spacer, id: low, x: 40, y: 150, w: 100, h: 30, bg: '#00FF00', pin: [stretch, bottom]}
  - {type: spacer, id: share, x: 30, y: 60, w: 150, h: 50, bg: '#0000FF', pin: [scale, scale]}
"""


def test_constraints_place_layers_alike_in_every_target(tmp_path):
    spec = load_spec(PINNED, targets=ALL_TARGETS)
    files = write_code(spec, tmp_path, ALL_TARGETS)
    assert check_code(spec, files)["ok"] is True
    read = {el["id"]: el["box"] for el in render([Page(render_html(spec), 300, 200)])[0]}
    assert (read["mid"], read["low"], read["share"]) == ([100, 20, 60, 20], [40, 150, 100, 30], [30, 60, 150, 50])
    card = json.loads(Path(next(p for p in files["divkit"] if p.endswith(".json"))).read_text(encoding="utf-8"))
    mid, low, share = card["card"]["states"][0]["div"]["items"]
    # centre: 2*100 - (300 - 60) = -40 -> 40 on the right; stretch: both edges, width follows the parent
    assert (mid["alignment_horizontal"], mid["margins"]) == ("center", {"top": 20, "right": 40})
    assert (low["margins"], low["width"], low["alignment_vertical"]) == (
        {"left": 40, "right": 160, "bottom": 20}, {"type": "match_parent"}, "bottom")
    assert share["margins"] == {"left": 30, "top": 60}
    assert not_drawn(spec) == {"divkit": ["scale constraint (placed as at design size) (1 node)"]}
