"""Every shape of Figma response ingests, or fails with one clear error (exit 2): bare CANVAS and
COMPONENT_SET roots, hostile depth, nodes without boxes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from translators.errors import FigmaInputError
from translators.figma import ingest
from translators.figma.load import MAX_JSON_DEPTH

REPO = Path(__file__).resolve().parents[3]


def _box(x, y, w, h):
    return {"x": x, "y": y, "width": w, "height": h}


def _rect(node_id, x, y, w=40, h=20, **extra):
    return {"id": node_id, "name": f"Rect {node_id}", "type": "RECTANGLE", "absoluteBoundingBox": _box(x, y, w, h),
            "fills": [{"type": "SOLID", "color": {"r": 0, "g": 0, "b": 1, "a": 1}}], **extra}


def _frame(node_id, name, x, y, children, kind="FRAME"):
    return {"id": node_id, "name": name, "type": kind, "absoluteBoundingBox": _box(x, y, 200, 100),
            "children": children}


def _canvas(*frames):
    return {"id": "0:1", "name": "Page 1", "type": "CANVAS", "children": list(frames)}


def _deep(levels: int) -> dict:
    node = _rect("9:9", 0, 0)
    for i in range(levels):
        node = _frame(f"1:{i}", f"f{i}", 0, 0, [node])
    return {"document": {"id": "0:0", "type": "DOCUMENT", "children": [_canvas(node)]}}


def _deep_text(levels: int) -> str:
    """JSON text of a file `levels` frames deep (written flat: json.dumps would recurse)."""
    head = ''.join(f'{{"id": "1:{i}", "type": "FRAME", "absoluteBoundingBox": {{"x": 0, "y": 0, "width": 9, '
                   f'"height": 9}}, "children": [' for i in range(levels))
    return ('{"document": {"type": "DOCUMENT", "children": [{"type": "CANVAS", "children": ['
            + head + json.dumps(_rect("9:9", 0, 0)) + "]}" * levels + "]}]}}")


def test_bare_canvas_root_offers_its_frames():
    canvas = _canvas(_frame("1:1", "Home", 0, 0, [_rect("1:2", 10, 10)]),
                     _frame("2:1", "About", 300, 0, [_rect("2:2", 310, 20)]))
    with pytest.raises(FigmaInputError) as info:
        ingest(canvas)
    assert str(info.value).splitlines() == ["<figma json>: 2 frames, pick one: 1:1 'Home', 2:1 'About'",
                                            "    fix: pass frame=<id> (pipe run: -p frame=1:1)"]
    about = ingest(canvas, "2:1")
    assert (about.frame.name, about.frame.page) == ("About", "Page 1")
    assert [(c.id, c.bx, c.by) for c in about.root.children] == [("2:2", 10.0, 20.0)]
    only = ingest(_canvas(_frame("1:1", "Home", 0, 0, [_rect("1:2", 10, 10)])))
    assert only.frame.id == "1:1"


def test_nodes_response_holding_a_canvas_reads_its_frames():
    nodes = {"nodes": {"0:1": {"document": _canvas(_frame("1:1", "Home", 0, 0, [])), "components": {}}}}
    assert ingest(nodes).frame.id == "1:1"


def test_empty_canvas_says_what_it_holds():
    with pytest.raises(FigmaInputError) as info:
        ingest(_canvas(_rect("1:2", 0, 0)))
    assert str(info.value).startswith("<figma json>: no frames: the root is a CANVAS node holding RECTANGLE")


def test_component_set_root_is_one_screen_with_its_variants():
    variants = [_frame("5:2", "State=Default", 20, 20, [_rect("5:3", 30, 30)], kind="COMPONENT"),
                _frame("5:4", "State=Hover", 20, 140, [_rect("5:5", 30, 150)], kind="COMPONENT")]
    button_set = {**_frame("5:1", "Button", 0, 0, variants, kind="COMPONENT_SET"), "absoluteBoundingBox": _box(0, 0, 240, 260)}
    screen = ingest(button_set)
    assert screen.frame.id == "5:1" and (screen.root.w, screen.root.h) == (240.0, 260.0)
    assert [(c.name, c.by) for c in screen.root.children] == [("State=Default", 20.0), ("State=Hover", 140.0)]
    in_file = ingest({"document": {"id": "0:0", "type": "DOCUMENT", "children": [_canvas(button_set)]}})
    assert in_file.frame.id == "5:1"


def test_a_5000_level_file_is_one_clear_error():
    text = _deep_text(5000)
    with pytest.raises(FigmaInputError) as info:
        ingest(text.encode())
    assert str(info.value).splitlines()[0] == (
        f"<figma json>: the JSON is nested deeper than {MAX_JSON_DEPTH} levels (about 190 layer levels)")
    assert info.value.exit_code == 2


def test_deep_but_parsable_file_ingests_with_a_warning():
    screen = ingest(_deep(150))
    said = [str(w) for w in screen.warnings]
    assert any(w.endswith("nested deeper than 60: children left out") for w in said), said[:3]


def test_pipe_run_refuses_a_hostile_depth_with_exit_2(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text(_deep_text(5000))
    pipe = Path(sys.executable).with_name("pipe")
    done = subprocess.run([str(pipe), "run", str(REPO / "recipes/figma_to_code.yaml"), "-p", f"figma={deep}"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "nested deeper than 400 levels" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / ".pipe").exists()  # refused before any run was recorded


def test_a_group_without_a_box_keeps_its_children():
    group = {"id": "3:1", "name": "Card", "type": "GROUP",
             "children": [_rect("3:2", 110, 60, 50, 30), _rect("3:3", 170, 100, 30, 40)]}
    screen = ingest(_frame("1:1", "Screen", 100, 50, [group]))
    card = screen.root.children[0]
    assert (card.bx, card.by, card.w, card.h) == (10.0, 10.0, 90.0, 80.0)
    assert [(c.id, c.bx, c.by) for c in card.children] == [("3:2", 10.0, 10.0), ("3:3", 70.0, 50.0)]
    assert [str(w) for w in screen.warnings] == [
        "Screen/Card (3:1): no absoluteBoundingBox: the box around its children is used"]


def test_what_is_not_carried_is_said_per_layer():
    """Links to frames (prototype navigation) and rotation without the unrotated size stay
    approximations, each said once per layer."""
    text = {"id": "6:2", "name": "Body", "type": "TEXT", "characters": "Read more", "absoluteBoundingBox": _box(0, 0, 80, 20),
            "style": {"fontSize": 14, "hyperlink": {"type": "NODE", "nodeID": "9:1"}}}
    turned = _rect("6:5", 20, 40, rotation=0.5236)  # radians, as the REST API writes it
    screen = ingest(_frame("6:1", "Screen", 0, 0, [text, turned]))
    assert [str(w) for w in screen.warnings] == [
        "Screen/Body (6:2): link to frame 9:1 is not carried (prototype navigation)",
        "Screen/Rect 6:5 (6:5): rotated 30 degrees without `size` in the file: drawn unrotated in its "
        "bounding box (save with geometry=paths)"]
    assert screen.root.children[1].rotation == 0


def test_a_page_of_many_screens_lists_twenty_and_counts_the_rest():
    frames = [_frame(f"{i}:1", f"Screen {i}", i * 300, 0, [_rect(f"{i}:2", i * 300, 0)]) for i in range(1, 26)]
    with pytest.raises(FigmaInputError) as info:
        ingest(_canvas(*frames))
    head, fix = str(info.value).splitlines()
    assert head.startswith("<figma json>: 25 frames, pick one: 1:1 'Screen 1', 2:1 'Screen 2'")
    assert head.endswith("20:1 'Screen 20' (and 5 more)") and fix == "    fix: pass frame=<id> (pipe run: -p frame=1:1)"
