"""Figma ingest: REST JSON -> normalised tree -> compact text; bad input; malformed nodes."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translators.baseline import build_spec
from translators.errors import FigmaInputError
from translators.figma import compact, ingest
from translators.figma.tokens import approx_tokens
from translators.fixtures import SCREENS, SMALL_SEEDS, build, build_small, fixture_path, fixture_paths, small_paths
from translators.ui_spec import check_spec, dump_spec


def _frame(children, **extra):
    node = {"id": "1:1", "name": "Screen", "type": "FRAME", "layoutMode": "VERTICAL", "itemSpacing": 8,
            "absoluteBoundingBox": {"x": 100, "y": 50, "width": 375, "height": 812}, "children": children}
    node.update(extra)
    return {"document": {"id": "0:0", "type": "DOCUMENT", "children": [
        {"id": "0:1", "name": "Page 1", "type": "CANVAS", "children": [node]}]}}


def _text(node_id, chars, x, y, **extra):
    node = {"id": node_id, "name": chars, "type": "TEXT", "characters": chars,
            "absoluteBoundingBox": {"x": x, "y": y, "width": 80, "height": 20},
            "style": {"fontSize": 14, "fontWeight": 500, "textAutoResize": "WIDTH_AND_HEIGHT"},
            "fills": [{"type": "SOLID", "color": {"r": 1, "g": 0, "b": 0, "a": 1}, "opacity": 0.5}]}
    node.update(extra)
    return node


def test_small_synthetic_fixtures_are_current():
    for seed, path in zip(SMALL_SEEDS, small_paths()):
        assert json.loads(path.read_text(encoding="utf-8")) == build_small(seed), "run: python -m translators.fixtures"
        assert approx_tokens(compact(path)) < 200


def test_fixtures_are_current_and_cover_the_screens():
    assert {p.stem for p in fixture_paths()} >= {"login", "feed", "settings", "product_card", "checkout", "profile",
                                                 "chat", "dashboard"}
    for name in SCREENS:
        saved = json.loads(fixture_path(name).read_text(encoding="utf-8"))
        assert saved == json.loads(json.dumps(build(name))), f"run: python -m translators.fixtures ({name})"


def test_compact_text_is_much_smaller_than_the_rest_json():
    for path in fixture_paths():
        screen = ingest(path)
        stats = screen.stats()
        assert stats["reduction"] >= 8, (path.name, stats)
        assert approx_tokens(screen.compact) == stats["compact_tokens"]


def test_compact_format_on_login():
    text = compact(fixture_path("login"))
    lines = text.splitlines()
    assert lines[0] == "frame:Login 375x812 column gap=24 pad=64,24,32,24 bg=#FFFFFF"
    assert '  text:Title "Welcome back" 190x34 28/700 #111827' in lines
    assert any(line.startswith("  inst:Input/Email name=Email_field 327x48 row gap=8 pad=12,16 cross=center w=fill")
               for line in lines)
    assert "   inst:Icon/Mail 20x20 ink=#6B7280" in lines  # an icon's vector art is one placeholder
    assert "Wrong email or password" not in text  # hidden layer dropped
    assert "Frame 427318" not in text and "  text \"Forgot password?\" 327x17 w=fill 14/500 #2563EB right" in lines
    assert "  vector 24x24 @12,12 ink=#FFFFFF" in lines  # boolean op inside a group: placeholder, relative position


def test_out_of_flow_layers_carry_positions():
    lines = compact(fixture_path("feed")).splitlines()
    assert any(line.startswith(" frame:Tab_bar 375x64 @0,748 abs row") for line in lines), lines
    assert any(line.startswith(" inst:Button/FAB name=FAB 56x56 @303,668 abs row") for line in lines)


def test_colours_and_text_styles():
    screen = ingest(_frame([_text("1:2", "Hi", 116, 66)]))
    assert screen.compact.splitlines()[1] == ' text "Hi" 80x20 14/500 #FF000080'  # alpha = paint opacity
    child = screen.root.children[0]
    assert (child.x, child.y, child.bx, child.by) == (16, 16, 16, 16)


def test_warnings_for_malformed_and_unsupported_nodes():
    kids = [
        {"id": "2:1", "name": "Sticky", "type": "STICKY", "absoluteBoundingBox": {"x": 0, "y": 0, "width": 10, "height": 10}},
        {"id": "2:2", "name": "No box", "type": "RECTANGLE"},
        {"id": "2:3", "name": "Broken", "type": "FRAME", "children": "oops",
         "absoluteBoundingBox": {"x": 0, "y": 0, "width": 10, "height": 10}},
        "not a node",
        {"id": "2:4", "name": "No text", "type": "TEXT", "absoluteBoundingBox": {"x": 0, "y": 0, "width": 5, "height": 5}},
        {"id": "2:5", "name": "Zero", "type": "RECTANGLE", "absoluteBoundingBox": {"x": 0, "y": 0, "width": 0, "height": 9}},
        {"id": "2:6", "type": None, "absoluteBoundingBox": {"x": 0, "y": 0, "width": 5, "height": 5}},
    ]
    screen = ingest(_frame(kids))
    said = [str(w) for w in screen.warnings]
    assert "Screen/Sticky (2:1): unsupported node type 'STICKY': kept as a placeholder box" in said
    assert ("Screen/No box (2:2): no absoluteBoundingBox, nor any child with one: 1 layer(s) left out "
            "(save the file with the REST API, which gives every node a box)") in said
    assert "Screen/Broken (2:3): children is not a list: ignored" in said
    assert "Screen (1:1): child #3 is not an object: ignored" in said
    assert "Screen/No text (2:4): TEXT without characters: empty text used" in said
    assert any(w.startswith("Screen/ (2:6): unsupported node type None") for w in said), said
    assert " box:STICKY 10x10" in screen.compact
    assert "Zero" not in screen.compact


@pytest.mark.parametrize("payload, expected", [
    (b'{"document": {', "<figma json>:1:15: invalid JSON: Expecting property name enclosed in double quotes"),
    (b"[1, 2]", "<figma json>: expected a JSON object, got list"),
    (b'{"hello": 1}', "<figma json>: not a Figma REST response: no 'document' or 'nodes' key (keys: hello)"),
    (json.dumps({"document": {"children": [{"type": "CANVAS", "name": "Page 1", "children": [
        {"type": "RECTANGLE", "id": "1:2"}]}]}}).encode(),
     "<figma json>: no frames: page 'Page 1' holds RECTANGLE"),
])
def test_bad_input_gives_one_clear_error(payload, expected):
    with pytest.raises(FigmaInputError) as info:
        ingest(payload)
    assert str(info.value).startswith(expected), str(info.value)
    assert "fix:" in str(info.value) and info.value.exit_code == 2


def test_unknown_frame_id_lists_the_frames():
    with pytest.raises(FigmaInputError) as info:
        ingest(fixture_path("login"), "9:99")
    assert "frame '9:99' not found; frames: 1:1 'Login', 2:1 'Button/Primary'" in str(info.value)


def test_missing_file_and_invalid_json_file_name_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "document": [,]\n}')
    with pytest.raises(FigmaInputError, match=r"bad.json:2:16: invalid JSON"):
        ingest(bad)
    with pytest.raises(FigmaInputError, match=r"nope.json: cannot read the Figma file"):
        ingest(tmp_path / "nope.json")


def test_nodes_response_and_bare_node():
    frame = _frame([_text("1:2", "Hi", 100, 50)])["document"]["children"][0]["children"][0]
    nodes = {"name": "f", "nodes": {"1:1": {"document": frame, "components": {}}, "9:9": None}}
    assert ingest(nodes).frame.id == "1:1"
    assert ingest(frame).compact.startswith("frame:Screen 375x812 column gap=8")


def test_components_page_is_not_a_second_screen():
    screen = ingest(fixture_path("checkout"))
    assert screen.frame.name == "Checkout" and len(screen.file.frames) == 2


_JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 900), st.floats(allow_nan=False, width=32), st.text(max_size=5),
              st.sampled_from(["FRAME", "TEXT", "GROUP", "INSTANCE", "VECTOR", "LINE", "HORIZONTAL", "SOLID", "FILL"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(
        ["type", "id", "name", "children", "absoluteBoundingBox", "x", "y", "width", "height", "fills", "visible",
         "layoutMode", "characters", "style", "componentId", "itemSpacing", "paddingLeft", "strokes", "effects",
         "opacity", "cornerRadius", "layoutSizingHorizontal", "layoutPositioning", "rectangleCornerRadii"]),
        inner, max_size=8)),
    max_leaves=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(children=st.lists(_JSONISH, max_size=5))
def test_random_malformed_trees_never_crash(children):
    """Ingest warns instead of failing, and the baseline still makes a spec every target takes."""
    screen = ingest(_frame(children))
    assert screen.compact.startswith("frame:Screen")
    checked = check_spec(dump_spec(build_spec(screen.root)))
    assert checked.ok, checked.messages()
