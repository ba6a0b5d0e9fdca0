"""The UI spec: closed schema, schema.json, semantic validation with YAML paths, canonical YAML."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from pipelines.errors import InputError
from translators.errors import SpecError
from translators.ui_spec import check_spec, dump_spec, load_spec
from translators.ui_spec.schema import SCHEMA_PATH, schema_text

GOOD = """\
screen: login
width: 375
height: 812
bg: '#FFFFFF'
colors: {brand: '#2563EB'}
root:
  type: column
  id: root
  pad: [24, 16]
  gap: 12
  children:
  - {type: text, id: title, text: 'Welcome: back', size: 24, weight: 700, color: '#111827'}
  - {type: button, id: go, text: Sign in, w: fill, bg: $brand, color: '#FFFFFF', radius: 8}
  - type: repeat
    id: people
    items: [{name: Ana}, {name: Leo}]
    template: {type: text, id: person, bind: name}
  - type: stack
    id: media
    w: 200
    h: 100
    children:
    - {type: image, id: photo, alt: Photo, w: 200, h: 100, x: 0, y: 0}
"""


def messages(text: str, **kw) -> list[str]:
    return check_spec(text, **kw).messages()


def test_good_spec_is_valid_and_round_trips():
    spec = load_spec(GOOD)
    assert spec.root.children[1].bg == "$brand"
    assert load_spec(dump_spec(spec)) == spec


def test_dump_is_canonical_and_terse():
    text = dump_spec(load_spec(GOOD.replace("pad: [24, 16]", "pad: [24, 16, 24, 16]")))
    assert "pad: [24, 16]" in text
    assert "- {type: text, id: title," in text  # leaves are one flow mapping per line
    assert text == dump_spec(load_spec(text))


def test_shipped_schema_json_is_current_and_a_valid_json_schema():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), "run: python -m translators.ui_spec.schema"
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(validator.iter_errors(yaml.safe_load(GOOD)))
    bad = yaml.safe_load(GOOD)
    bad["root"]["children"][0]["colour"] = "#fff"  # a field the closed schema does not know
    assert list(validator.iter_errors(bad))
    bad = yaml.safe_load(GOOD)
    bad["root"]["children"][0]["color"] = "red"
    assert list(validator.iter_errors(bad))


def test_unknown_field_and_type_point_at_the_yaml_path_and_line():
    text = GOOD.replace("size: 24,", "size: 24, font_family: Inter,").replace("type: stack", "type: overlay")
    found = messages(text)
    assert any(m.startswith("spec.yaml:12 root.children[0].font_family: unknown field 'font_family'") for m in found), found
    assert any("root.children[3]: unknown type 'overlay'" in m and m.startswith("spec.yaml:18 ") for m in found), found


def test_semantic_errors_name_paths_and_fixes():
    text = (GOOD.replace("bg: $brand", "bg: $brnd").replace("bind: name", "bind: nick")
            .replace("id: person", "id: title").replace("x: 0, y: 0", "x: 0"))
    found = messages(text)
    assert any("root.children[1].bg: colour token '$brnd' is not in colors (brand)" in m for m in found), found
    assert any("root.children[2].template.id: duplicate id 'title' (first at root.children[0])" in m
               for m in found), found
    assert any("template.bind: bind 'nick' is missing from repeat items [0, 1]" in m for m in found), found
    assert any("root.children[3].children[0]: x and y go together" in m for m in found), found
    assert all("spec.yaml:" in m for m in found)


def test_bind_outside_repeat_and_text_xor_bind():
    text = GOOD.replace("text: Sign in,", "bind: name,")
    assert any("bind 'name' outside a repeat template" in m for m in messages(text))
    text = GOOD.replace("text: Sign in,", "text: Sign in, bind: name,")
    assert any("needs exactly one of text or bind" in m for m in messages(text))


def test_empty_containers_depend_on_the_target():
    text = GOOD.replace("    children:\n    - {type: image", "    children: []\n    x_: {type: image")
    text = text.replace("    x_: {type: image, id: photo, alt: Photo, w: 200, h: 100, x: 0, y: 0}\n", "")
    assert not messages(text, targets=("html", "react_tsx"))
    found = messages(text, targets=("divkit",))
    assert found == ["spec.yaml:22 root.children[3].children: empty stack: DivKit containers need at least one item"
                     "\n    fix: add a child or use a spacer"]


def test_colour_formats():
    found = messages(GOOD.replace("'#111827'", "'#111'"))
    assert any("root.children[0].color: '#111' is not a colour: write '#RRGGBB', '#RRGGBBAA' or '$token'" in m
               for m in found), found
    found = messages(GOOD.replace("bg: '#FFFFFF'", "bg: #FFFFFF"))
    assert found == ["spec.yaml:4 bg: unquoted colour #FFFFFF is read as a YAML comment\n    fix: quote it: bg: '#FFFFFF'"]
    found = messages(GOOD.replace("color: '#111827'", "color: #111827"))  # inside a flow mapping: a syntax error
    assert any("unquoted colour #111827" in m for m in found), found


def test_strings_no_target_can_carry_are_refused():
    found = messages(GOOD.replace("text: 'Welcome: back'", 'text: "bell \\x07"'))
    assert any("root.children[0].text: contains the control or non-character U+0007" in m for m in found), found
    found = messages(GOOD.replace("bind: name}", "bind: name}\n  - {type: input, id: f, placeholder: \"a\\nb\"}"))
    assert any("an input holds one line of text" in m for m in found), found


def test_yaml_syntax_error_has_line_and_column():
    found = messages("screen: a\nroot: [1, 2\n")
    assert len(found) == 1 and found[0].startswith("spec.yaml:3:1: invalid YAML"), found
    assert messages("- a list") == ["spec.yaml: a spec is a mapping with screen, width, height and root"
                                    "\n    fix: start the document with `screen: <name>`"]


def test_load_spec_raises_one_input_error_with_every_issue():
    with pytest.raises(SpecError) as info:
        load_spec(GOOD.replace("size: 24", "size: -3").replace("w: fill", "w: wide"))
    assert isinstance(info.value, InputError) and info.value.exit_code == 2
    assert [str(i) for i in info.value.issues] == [
        "spec.yaml:12 root.children[0].size: Input should be greater than or equal to 1",
        "spec.yaml:13 root.children[1].w: must be fill, hug or a whole number of px"]
    assert "root.children[1].w: must be fill, hug or a whole number of px" in str(info.value)
