"""Fills, effects and text styling real files use, from the Figma JSON through the baseline spec
into all three targets, checked by the real compilers (tsc, DivKit builder, vnu)."""

from __future__ import annotations

import json

import pytest

from translators.baseline import build_spec
from translators.checks.render import Page, render
from translators.errors import SpecError
from translators.figma import ingest
from translators.steps import check_code, write_code
from translators.targets.html import render_html
from translators.ui_spec import ALL_TARGETS, dump_spec, load_spec

RED = {"r": 1, "g": 0, "b": 0, "a": 1}
BLUE = {"r": 0, "g": 0, "b": 1, "a": 1}


def _box(x, y, w, h):
    return {"x": x, "y": y, "width": w, "height": h}


def rich_frame():
    hero = {"id": "1:2", "name": "Hero", "type": "RECTANGLE", "absoluteBoundingBox": _box(20, 20, 200, 100),
            "fills": [{"type": "SOLID", "color": {"r": 1, "g": 1, "b": 1, "a": 1}},
                      {"type": "GRADIENT_LINEAR", "gradientHandlePositions": [{"x": 0, "y": 0.5}, {"x": 1, "y": 0.5}],
                       "gradientStops": [{"color": RED, "position": 0}, {"color": BLUE, "position": 1}]}],
            "effects": [{"type": "DROP_SHADOW", "offset": {"x": 0, "y": 4}, "radius": 8, "spread": 2,
                         "color": {**BLUE, "a": 0.25}},
                        {"type": "DROP_SHADOW", "offset": {"x": 0, "y": 1}, "radius": 2, "color": {**RED, "a": 0.5}},
                        {"type": "INNER_SHADOW", "offset": {"x": 0, "y": 1}, "radius": 0, "color": RED},
                        {"type": "LAYER_BLUR", "radius": 3}]}
    glow = {"id": "1:3", "name": "Glow", "type": "ELLIPSE", "absoluteBoundingBox": _box(240, 20, 80, 80),
            "fills": [{"type": "GRADIENT_RADIAL", "gradientStops": [{"color": BLUE, "position": 0},
                                                                      {"color": {**BLUE, "a": 0}, "position": 1}]}],
            "effects": [{"type": "BACKGROUND_BLUR", "radius": 12}]}
    title = {"id": "1:4", "name": "Title", "type": "TEXT", "characters": "Big sale",
             "absoluteBoundingBox": _box(20, 140, 120, 30),
             "style": {"fontFamily": "Oswald", "fontSize": 24, "fontWeight": 700, "italic": True, "letterSpacing": 1.5,
                       "textCase": "UPPER", "textDecoration": "UNDERLINE", "textAutoResize": "WIDTH_AND_HEIGHT"},
             "fills": [{"type": "SOLID", "color": RED}]}
    return {"id": "1:1", "name": "Promo", "type": "FRAME", "absoluteBoundingBox": _box(0, 0, 360, 200),
            "fills": [{"type": "SOLID", "color": {"r": 1, "g": 1, "b": 1, "a": 1}}], "children": [hero, glow, title]}


def test_ingest_and_baseline_carry_every_fill_effect_and_text_style():
    spec = build_spec(ingest(rich_frame()).root, "promo")
    hero, glow, title = spec.root.children
    assert hero.bg == "#FFFFFF"
    assert hero.gradient.model_dump() == {"kind": "linear", "angle": 90, "stops": [
        {"color": "#FF0000", "at": 0.0}, {"color": "#0000FF", "at": 1.0}]}
    assert [s.model_dump() for s in hero.shadow] == [  # top first, as CSS lists them
        {"x": 0, "y": 1, "blur": 0, "spread": 0, "inset": True, "color": "#FF0000"},
        {"x": 0, "y": 1, "blur": 2, "spread": 0, "inset": False, "color": "#FF000080"},
        {"x": 0, "y": 4, "blur": 8, "spread": 2, "inset": False, "color": "#0000FF40"}]
    assert hero.blur == 3 and glow.backdrop_blur == 12
    assert glow.gradient.kind == "radial" and [s.color for s in glow.gradient.stops] == ["#0000FF", "#0000FF00"]
    assert (title.font, title.italic, title.letter_spacing, title.case, title.decoration) == (
        "Oswald", True, 1.5, "upper", "underline")
    assert load_spec(dump_spec(spec)) == spec  # the YAML round-trips


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    spec = build_spec(ingest(rich_frame()).root, "promo")
    files = write_code(spec, tmp_path_factory.mktemp("rich"), ALL_TARGETS)
    return files, check_code(spec, files)


def test_rich_styles_compile_in_every_target(compiled):
    _, result = compiled
    assert result["ok"] is True, result
    assert result["divkit_json_matches_builder"] is True
    assert result["strings_intact"] == {"html": True, "react_tsx": True, "divkit": True}


def test_css_and_divkit_output(compiled):
    files, _ = compiled
    html = open(files["html"][0], encoding="utf-8").read()
    assert "background-image:linear-gradient(90deg, #FF0000 0.0%, #0000FF 100.0%)" in html.replace(": ", ":")
    assert "inset 0px 1px 0px 0px #FF0000, 0px 1px 2px 0px #FF000080, 0px 4px 8px 2px #0000FF40" in html
    assert "filter:blur(3px)" in html.replace(": ", ":") and "backdrop-filter:blur(12px)" in html.replace(": ", ":")
    for css in ('font-family:"Oswald", Inter', "font-style:italic", "letter-spacing:1.5px",
                "text-transform:uppercase", "text-decoration:underline"):
        assert css in html.replace(": ", ":"), css
    tsx = open(next(p for p in files["react_tsx"] if p.endswith(".tsx")), encoding="utf-8").read()
    assert "radial-gradient(circle at center, #0000FF 0.0%, #0000FF00 100.0%)" in tsx
    card = json.loads(open(next(p for p in files["divkit"] if p.endswith(".json")), encoding="utf-8").read())
    hero, glow, title = card["card"]["states"][0]["div"]["items"]
    assert hero["background"] == [{"type": "solid", "color": "#FFFFFF"}, {"type": "gradient", "angle": 0, "color_map": [
        {"color": "#FF0000", "position": 0.0}, {"color": "#0000FF", "position": 1.0}]}]
    assert hero["border"]["shadow"]["offset"] == {"x": {"value": 0}, "y": {"value": 1}}  # the top outer shadow
    assert glow["background"][0]["type"] == "radial_gradient"
    assert (title["font_family"], title["letter_spacing"], title["underline"]) == ("Oswald", 1.5, "single")


@pytest.mark.parametrize("font", ["Oswald'; } </style><script>", 'A"B', "x\\", "@{x}", ""])
def test_font_names_that_could_escape_are_refused(font):
    spec = build_spec(ingest(rich_frame()).root, "promo")
    data = spec.model_dump(exclude_none=True)
    data["root"]["children"][2]["font"] = font
    with pytest.raises(SpecError, match=r"root.children\[2\].font"):
        load_spec(json.dumps(data))


def layout_frame():
    def avatar(i, x):
        return {"id": f"2:{i}", "name": f"Avatar {i}", "type": "ELLIPSE", "absoluteBoundingBox": _box(x, 0, 40, 40),
                "fills": [{"type": "SOLID", "color": BLUE}],
                "strokes": [{"type": "SOLID", "color": {"r": 1, "g": 1, "b": 1, "a": 1}}], "strokeWeight": 2,
                "strokeAlign": "OUTSIDE"}
    stack = {"id": "2:1", "name": "Avatars", "type": "FRAME", "layoutMode": "HORIZONTAL", "itemSpacing": -12,
             "primaryAxisSizingMode": "AUTO", "counterAxisSizingMode": "AUTO", "absoluteBoundingBox": _box(0, 0, 96, 40),
             "children": [avatar(2, 0), avatar(3, 28), avatar(4, 56)]}
    chips = {"id": "3:1", "name": "Chips", "type": "FRAME", "layoutMode": "HORIZONTAL", "layoutWrap": "WRAP",
             "itemSpacing": 8, "counterAxisSpacing": 16, "absoluteBoundingBox": _box(0, 60, 200, 80), "minWidth": 120,
             "maxWidth": 320, "fills": [{"type": "SOLID", "color": {"r": 0.9, "g": 0.9, "b": 0.9, "a": 1}}],
             "strokes": [{"type": "SOLID", "color": RED}], "strokeWeight": 1, "strokeDashes": [4, 2],
             "individualStrokeWeights": {"top": 0, "right": 0, "bottom": 2, "left": 0},
             "children": [{"id": f"3:{i}", "name": "Chip", "type": "RECTANGLE", "absoluteBoundingBox": _box(0, 60, 90, 32),
                           "fills": [{"type": "SOLID", "color": BLUE}]} for i in (2, 3, 4)]}
    return {"id": "1:1", "name": "Team", "type": "FRAME", "layoutMode": "VERTICAL", "itemSpacing": 20,
            "absoluteBoundingBox": _box(0, 0, 360, 200), "fills": [{"type": "SOLID", "color": {"r": 1, "g": 1, "b": 1, "a": 1}}],
            "children": [stack, chips]}


def test_borders_limits_wrap_gap_and_negative_gap_reach_every_target(tmp_path):
    spec = build_spec(ingest(layout_frame()).root, "team")
    avatars, chips = spec.root.children
    assert avatars.gap == -12 and avatars.children[0].border.model_dump() == {
        "width": 2, "color": "#FFFFFF", "sides": None, "style": "solid", "align": "outside"}
    assert (chips.type, chips.gap, chips.cross_gap, chips.min_w, chips.max_w) == ("wrap", 8, 16, 120, 320)
    assert chips.border.model_dump() == {"width": 2, "color": "#FF0000", "sides": (0, 0, 2, 0), "style": "dashed",
                                         "align": "inside"}
    files = write_code(spec, tmp_path, ALL_TARGETS)
    result = check_code(spec, files)
    assert result["ok"] is True, result
    html = open(files["html"][0], encoding="utf-8").read().replace(": ", ":")
    for css in ("margin-left:-12px", "row-gap:16px", "min-width:120px", "max-width:320px", "border-style:dashed",
                "border-width:0px 0px 2px 0px", "outline:2px solid #FFFFFF"):
        assert css in html, css
    card = json.loads(open(next(p for p in files["divkit"] if p.endswith(".json")), encoding="utf-8").read())
    row, wrap = card["card"]["states"][0]["div"]["items"]
    assert [item.get("margins") for item in row["items"]] == [None, {"left": -12}, {"left": -12}]
    assert wrap["line_spacing"] == 16 and "stroke" not in wrap.get("border", {})  # DivKit: no per-side strokes
    read = render([Page(render_html(spec), spec.width, spec.height)])[0]
    boxes = {el["id"]: el["box"] for el in read}
    assert [boxes[f"avatar_{i}"][0] for i in (2, 3, 4)] == [0, 28, 56]  # overlapping by 12px, as designed


def test_image_fills_keep_their_figma_reference(tmp_path):
    photo = {"id": "4:2", "name": "Photo", "type": "RECTANGLE", "absoluteBoundingBox": _box(0, 0, 100, 80),
             "fills": [{"type": "IMAGE", "scaleMode": "FILL", "imageRef": "3f1c9a0b7e"}]}
    screen = ingest({"id": "4:1", "name": "P", "type": "FRAME", "absoluteBoundingBox": _box(0, 0, 100, 80),
                     "children": [photo]})
    assert (screen.root.children[0].fill.kind, screen.root.children[0].fill.ref) == ("image", "3f1c9a0b7e")
    spec = load_spec("screen: p\nwidth: 100\nheight: 80\nroot:\n  type: stack\n  id: root\n  children:\n"
                     "  - {type: image, id: photo, alt: Photo, ref: 3f1c9a0b7e, w: 100, h: 80}\n")
    files = write_code(spec, tmp_path, ALL_TARGETS)
    assert check_code(spec, files)["ok"] is True
    html = open(files["html"][0], encoding="utf-8").read()
    tsx = open(next(p for p in files["react_tsx"] if p.endswith(".tsx")), encoding="utf-8").read()
    assert 'data-figma-image="3f1c9a0b7e"' in html and 'data-figma-image={"3f1c9a0b7e"}' in tsx
    with pytest.raises(SpecError, match=r"root.children\[0\].ref"):
        load_spec(spec.model_dump_json().replace("3f1c9a0b7e", '3f\\" onload=\\"x'))
