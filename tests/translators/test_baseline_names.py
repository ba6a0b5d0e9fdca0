"""The rule-based spec is valid whatever the designer typed: layer names and texts with NUL,
control characters, lone surrogates (a JSON file may escape one), quotes, markup, any length."""

from __future__ import annotations

import copy
import json
from functools import lru_cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translators.baseline import build_spec
from translators.figma import ingest
from translators.fixtures import fixture_path, fixture_paths
from translators.ui_spec import check_spec, dump_spec
from translators.ui_spec.validate import ALL_TARGETS

HOSTILE = ["\x00", "\x07", "\x1b[31m", "\ud800", "\udfff", "\ufffe", "\U0010ffff", "\x85", "\r\n",
           "\u2028", "\t", '"', "'", "</script>", "<!--", "${x}", "{{x}}", "\\", "é", "漢", "🙂",
           "Icon/", "Button", "Avatar", "image", "Frame 1"]
NAMES = st.one_of(
    st.lists(st.one_of(st.sampled_from(HOSTILE), st.characters(codec=None)), max_size=12).map("".join),
    st.sampled_from(["", " ", "x" * 6000, "\x00" * 100, "Avatar\x00image", "Icon/\x00"]),
)


@lru_cache(maxsize=None)
def fixture(stem: str) -> dict:
    return json.loads(fixture_path(stem).read_text())


def renamed(doc: dict, names: list[str], texts: bool) -> dict:
    """`doc` with every layer's name (and every text, if `texts`) taken from `names` in turn."""
    doc, i = copy.deepcopy(doc), 0
    stack = [doc["document"]]
    while stack:
        node = stack.pop()
        node["name"] = names[i % len(names)]
        if texts and node.get("type") == "TEXT":
            node["characters"] = names[(i + 1) % len(names)]
        i += 1
        stack += node.get("children", [])
    return doc


def assert_valid(doc: dict) -> None:
    checked = check_spec(dump_spec(build_spec(ingest(doc).root)), targets=ALL_TARGETS)
    assert checked.ok, checked.messages()


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(stem=st.sampled_from([p.stem for p in fixture_paths()]),
       names=st.lists(NAMES, min_size=1, max_size=8), texts=st.booleans())
def test_any_layer_names_give_a_valid_spec(stem, names, texts):
    assert_valid(renamed(fixture(stem), names, texts))


def test_a_nul_in_an_image_layer_name_is_dropped_from_its_alt_text():
    doc = renamed(fixture("chat"), ["Avatar\x00 image\x1b\n\ud800 of\tMia"], texts=False)
    spec = build_spec(ingest(doc).root)
    alts = {n["alt"] for n in _nodes(json.loads(spec.model_dump_json())) if n.get("type") == "image"}
    assert alts == {"Avatar image of Mia"}
    assert check_spec(dump_spec(spec)).ok


def _nodes(node: dict) -> list[dict]:
    out, stack = [], [node["root"]]
    while stack:
        n = stack.pop()
        out.append(n)
        stack += n.get("children") or []
        if n.get("template"):
            stack.append(n["template"])
    return out
