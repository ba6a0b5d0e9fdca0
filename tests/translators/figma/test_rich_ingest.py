"""What real files carry beyond boxes and paints: styled ranges, links, paragraph spacing,
image fills behind children, constraints, clipping, z-order, variants, vector paths, rotation,
and files saved before 2020 (`background` instead of `fills`)."""

from __future__ import annotations

from translators.baseline import build_spec
from translators.figma import ingest
from translators.figma.assets import attach_image_refs


def _box(x, y, w, h):
    return {"x": x, "y": y, "width": w, "height": h}


def _solid(r, g, b):
    return [{"type": "SOLID", "color": {"r": r, "g": g, "b": b, "a": 1}}]


def _frame(children, **extra):
    return {"id": "1:1", "name": "Screen", "type": "FRAME", "absoluteBoundingBox": _box(100, 100, 300, 200),
            "fills": _solid(1, 1, 1), "children": children, **extra}


def test_styled_ranges_links_and_paragraphs_reach_the_spec():
    text = {"id": "2:1", "name": "Body", "type": "TEXT", "characters": "Hi 😀 bold\nSee docs", "absoluteBoundingBox": _box(110, 110, 200, 40),
            "fills": _solid(0, 0, 0), "style": {"fontSize": 14, "fontWeight": 400, "paragraphSpacing": 12},
            # per UTF-16 unit: the emoji counts twice, as in Figma; the tail past the list is base style
            "characterStyleOverrides": [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 2, 2, 2, 2],
            "styleOverrideTable": {"1": {"fontWeight": 700}, "2": {"fills": _solid(1, 0, 0), "textDecoration": "UNDERLINE",
                                                                 "hyperlink": {"type": "URL", "url": "https://example.com/docs?a=1&b=2"}}}}
    screen = ingest(_frame([text]))
    assert screen.warnings == []
    body = build_spec(screen.root).root.children[0]
    assert body.text == "Hi 😀 bold\nSee docs"
    assert [(s.start, s.end, s.weight, s.color, s.link) for s in body.spans] == [
        (5, 9, 700, None, None), (14, 18, None, "#FF0000", "https://example.com/docs?a=1&b=2")]
    assert body.text[5:9] == "bold" and body.text[14:18] == "docs"
    assert body.paragraph_spacing == 12


def test_image_fill_behind_children_keeps_its_ref():
    hero = {"id": "3:1", "name": "Hero", "type": "FRAME", "absoluteBoundingBox": _box(100, 100, 300, 100),
            "fills": [{"type": "IMAGE", "scaleMode": "FILL", "imageRef": "a1b2c3"}],
            "children": [{"id": "3:2", "name": "Title", "type": "TEXT", "characters": "Hello",
                          "absoluteBoundingBox": _box(110, 110, 50, 20), "style": {}}]}
    spec = build_spec(ingest(_frame([hero])).root)
    assert spec.root.children[0].bg_image.ref == "a1b2c3"


def test_constraints_clipping_z_order_and_variants():
    pinned = {"id": "4:1", "name": "Badge", "type": "RECTANGLE", "absoluteBoundingBox": _box(360, 280, 30, 10),
              "fills": _solid(1, 0, 0), "constraints": {"horizontal": "RIGHT", "vertical": "BOTTOM"}}
    spill = {"id": "4:3", "name": "Spill", "type": "RECTANGLE", "absoluteBoundingBox": _box(130, 130, 200, 20), "fills": _solid(0, 1, 0)}
    clipper = {"id": "4:2", "name": "Crop", "type": "FRAME", "clipsContent": True, "absoluteBoundingBox": _box(120, 120, 50, 50),
               "fills": _solid(0, 0, 1), "children": [spill]}
    chip = {"id": "4:4", "name": "Chip", "type": "INSTANCE", "componentId": "9:9", "absoluteBoundingBox": _box(110, 200, 80, 30),
            "layoutMode": "HORIZONTAL", "itemReverseZIndex": True, "fills": _solid(1, 1, 0),
            "componentProperties": {"State": {"type": "VARIANT", "value": "Hover"}, "Label#3:1": {"type": "TEXT", "value": "Go"},
                                    "Icon#4:0": {"type": "INSTANCE_SWAP", "value": "5:5"}},
            "children": [{"id": "4:5", "name": "A", "type": "RECTANGLE", "absoluteBoundingBox": _box(110, 200, 40, 30), "fills": _solid(0, 0, 0)},
                         {"id": "4:6", "name": "B", "type": "RECTANGLE", "absoluteBoundingBox": _box(150, 200, 40, 30), "fills": _solid(1, 0, 1)}]}
    screen = ingest({"document": _frame([pinned, clipper, chip]), "components": {"9:9": {"name": "Chip"}}})
    root = build_spec(screen.root).root
    badge, crop, chip_spec = root.children
    assert (badge.x, badge.y, badge.pin) == (260, 180, ("right", "bottom"))
    assert crop.clip is True and chip_spec.reverse_z is True
    assert (chip_spec.component, chip_spec.variant) == ("Chip", {"State": "Hover", "Label": "Go"})


def test_vector_paths_and_rotation_when_the_file_has_geometry():
    icon = {"id": "5:1", "name": "Arrow", "type": "VECTOR", "absoluteBoundingBox": _box(120, 120, 24, 24), "fills": _solid(0, 0, 1),
            "fillGeometry": [{"path": "M0 0L24 12L0 24Z", "windingRule": "NONZERO"}]}
    # a 40x10 bar turned 90 degrees: its bounding box is 10x40, its own size 40x10
    bar = {"id": "5:2", "name": "Bar", "type": "RECTANGLE", "absoluteBoundingBox": _box(200, 120, 10, 40), "fills": _solid(1, 0, 0),
           "size": {"x": 40, "y": 10}, "relativeTransform": [[0, 1, 100], [-1, 0, 60]]}
    root = build_spec(ingest(_frame([icon, bar])).root).root
    vector, turned = root.children
    assert vector.type == "vector" and [(p.d, p.fill) for p in vector.paths] == [("M0 0L24 12L0 24Z", "#0000FF")]
    assert (turned.rotate, turned.w, turned.h, turned.x, turned.y) == (-90, 40, 10, 85, 35)


def test_files_saved_before_2020_paint_frames_with_background():
    old = {"id": "1:3", "name": "iPhone X", "type": "FRAME", "absoluteBoundingBox": _box(0, 0, 375, 812),
           "background": _solid(1, 0, 0), "children": []}
    assert build_spec(ingest(old).root).bg == "#FF0000"


def test_image_refs_come_back_to_the_specs_images_in_order():
    """The baseline (like the model) writes images without Figma's hashes; they are put back."""
    pics = [{"id": f"7:{i}", "name": f"Photo {i}", "type": "RECTANGLE", "absoluteBoundingBox": _box(110 + 60 * i, 110, 50, 50),
             "fills": [{"type": "IMAGE", "scaleMode": "FILL", "imageRef": ref}]} for i, ref in enumerate(("aaa111", "bbb222"))]
    screen = ingest(_frame(pics))
    spec = build_spec(screen.root)
    assert [c.ref for c in spec.root.children] == [None, None]
    with_refs, attached = attach_image_refs(spec, screen.root)
    assert attached and [c.ref for c in with_refs.root.children] == ["aaa111", "bbb222"]
    fewer = spec.model_copy(update={"root": spec.root.model_copy(update={"children": spec.root.children[:1]})})
    assert attach_image_refs(fewer, screen.root) == (fewer, False)  # counts differ: left as is


def test_angular_and_diamond_gradients_are_drawn_radial_with_a_warning():
    stops = [{"position": 0, "color": {"r": 1, "g": 0, "b": 0, "a": 1}},
             {"position": 1, "color": {"r": 0, "g": 0, "b": 1, "a": 1}}]
    boxes = [{"id": f"3:{i}", "name": kind, "type": "RECTANGLE", "absoluteBoundingBox": _box(110 + 60 * i, 110, 50, 50),
              "fills": [{"type": kind, "gradientStops": stops}]}
             for i, kind in enumerate(("GRADIENT_ANGULAR", "GRADIENT_DIAMOND", "GRADIENT_RADIAL"))]
    screen = ingest(_frame(boxes))
    assert [c.gradient["kind"] for c in screen.root.children] == ["radial"] * 3
    assert [(w.node_id, w.message.split(" gradient")[0]) for w in screen.warnings] == [
        ("3:0", "angular"), ("3:1", "diamond")]
