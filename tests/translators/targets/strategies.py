"""Hypothesis strategies: random valid UI specs whose strings try to break out of their literals."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from translators.ui_spec.models import Spec
from translators.ui_spec.semantics import bad_char

NASTY = [
    "</script>", "<script>alert(1)</script>", "</style>", "<!--", "-->", "]]>", "{", "}", "{{", "}}", "`", "${x}",
    "${", "@{x}", "@{", "\\", "\\\\", "\\@{", "'", '"', "\\\"", "&amp;", "&lt;", "<b>bold</b>", "*/", "/*",
    "\u2028", "\u2029", "\n", "\t", "\u00e9", "\U0001f600", "\u202e", "\u200b", "\ufeff", "null", "true", "#fff",
    "key: value", "- item", "[1, 2]", "{a: 1}", "%", "|", ">", "?", "&", "*anchor", "!tag", "a\\nb",
]
_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn"))
_PLAIN = st.text(_CHARS, max_size=12)
_PIECE = st.one_of(st.sampled_from(NASTY), _PLAIN)
TEXT = st.one_of(
    st.lists(_PIECE, max_size=5).map("".join),
    st.tuples(st.sampled_from(NASTY), st.integers(100, 700)).map(lambda p: (p[0] + "x") * p[1]),  # very long
).filter(lambda s: bad_char(s) is None and len(s) <= 5000)
LINE = TEXT.map(lambda s: s.replace("\n", " "))  # inputs hold one line

HEX = st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)).map(
    lambda c: "#{:02X}{:02X}{:02X}".format(*c))
HEXA = st.one_of(HEX, st.tuples(HEX, st.integers(0, 255)).map(lambda p: f"{p[0]}{p[1]:02X}"))
PALETTE = {"brand": "#2563EB", "ink": "#111827"}
COLOR = st.one_of(HEXA, st.sampled_from(["$brand", "$ink"]))
SIZE = st.one_of(st.none(), st.sampled_from(["fill", "hug"]), st.integers(0, 600))
PAD = st.one_of(st.integers(0, 40), st.tuples(st.integers(0, 40), st.integers(0, 40)).map(list),
                st.tuples(*[st.integers(0, 40)] * 4).map(list))


@st.composite
def style(draw: Any, box: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, strat in (("w", SIZE), ("h", SIZE)):
        value = draw(strat)
        if value is not None:
            out[key] = value
    if draw(st.booleans()):
        out["bg"] = draw(COLOR)
    if draw(st.integers(0, 3)) == 0:
        out["radius"] = draw(st.one_of(st.integers(0, 30), st.tuples(*[st.integers(0, 30)] * 4).map(list)))
    if draw(st.integers(0, 4)) == 0:
        out["border"] = {"width": draw(st.integers(1, 4)), "color": draw(COLOR)}
    if draw(st.integers(0, 5)) == 0:
        out["shadow"] = {"x": draw(st.integers(-8, 8)), "y": draw(st.integers(-8, 8)),
                         "blur": draw(st.integers(0, 20)), "color": draw(COLOR)}
    if draw(st.integers(0, 6)) == 0:
        out["opacity"] = draw(st.sampled_from([0, 0.25, 0.5, 1]))
    if box:
        if draw(st.booleans()):
            out["pad"] = draw(PAD)
        if draw(st.booleans()):
            out["gap"] = draw(st.integers(0, 24))
        if draw(st.booleans()):
            out["align"] = draw(st.sampled_from(["start", "center", "end", "between"]))
        if draw(st.booleans()):
            out["cross"] = draw(st.sampled_from(["start", "center", "end", "stretch", "baseline"]))
    return out


def _font(draw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["size"] = draw(st.integers(8, 40))
    if draw(st.booleans()):
        out["weight"] = draw(st.sampled_from([300, 400, 500, 600, 700]))
    if draw(st.booleans()):
        out["color"] = draw(COLOR)
    return out


@st.composite
def leaf(draw: Any, fields: tuple[str, ...] = ()) -> dict[str, Any]:
    kind = draw(st.sampled_from(["text", "text", "button", "input", "checkbox", "switch", "image", "icon",
                                 "divider", "spacer"]))
    node: dict[str, Any] = {"type": kind, **draw(style())}
    if kind in ("text", "button"):
        if fields and draw(st.booleans()):
            node["bind"] = draw(st.sampled_from(fields))
        else:
            node["text"] = draw(TEXT)
        node.update(_font(draw))
        if kind == "text" and draw(st.booleans()):
            node.update(text_align=draw(st.sampled_from(["left", "center", "right"])),
                        max_lines=draw(st.integers(1, 4)), line_height=draw(st.integers(10, 40)))
        if kind == "button" and draw(st.booleans()):
            node["pad"] = draw(PAD)
    elif kind == "input":
        node.update(placeholder=draw(LINE), kind=draw(st.sampled_from(["text", "email", "password", "search",
                                                                        "number", "tel"])))
        if draw(st.booleans()):
            node["value"] = draw(LINE)
        node.update(_font(draw))
    elif kind in ("checkbox", "switch"):
        node.update(label=draw(TEXT), checked=draw(st.booleans()), **_font(draw))
    elif kind == "image":
        node["alt"] = draw(TEXT)
        if draw(st.integers(0, 3)) == 0:
            node["src"] = "https://example.com/" + draw(st.sampled_from(["a.png", "b?x=1&y='2'", "c#frag", "d%20e"]))
        node["fit"] = draw(st.sampled_from(["cover", "contain"]))
    elif kind == "icon":
        node.update(name=draw(st.sampled_from(["search", "arrow-left", "a_b", "x9"])), size=draw(st.integers(8, 48)))
        if draw(st.booleans()):
            node["color"] = draw(COLOR)
    elif kind == "divider":
        node.update(thickness=draw(st.integers(1, 4)))
        if draw(st.booleans()):
            node["color"] = draw(COLOR)
    return node


@st.composite
def node(draw: Any, depth: int = 0, fields: tuple[str, ...] = (), allow_repeat: bool = True) -> dict[str, Any]:
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        return draw(leaf(fields))
    kinds = ["column", "row", "wrap", "scroll", "grid", "stack"] + (["repeat"] if allow_repeat else [])
    kind = draw(st.sampled_from(kinds))
    out: dict[str, Any] = {"type": kind, **draw(style(box=True))}
    if kind == "repeat":
        keys = ("a", "b")
        out["direction"] = draw(st.sampled_from(["column", "row"]))
        out["items"] = draw(st.lists(st.fixed_dictionaries({"a": TEXT, "b": TEXT}), min_size=1, max_size=3))
        out["template"] = draw(node(depth + 1, keys, allow_repeat=False))
        return out
    children = draw(st.lists(node(depth + 1, fields, allow_repeat), min_size=1, max_size=4))
    if kind == "stack" or draw(st.integers(0, 4)) == 0:
        for child in children:
            if kind == "stack" or draw(st.booleans()):
                child.update(x=draw(st.integers(-20, 300)), y=draw(st.integers(-20, 300)))
    if kind == "grid":
        out["columns"] = draw(st.integers(1, 4))
    if kind == "scroll":
        out["direction"] = draw(st.sampled_from(["vertical", "horizontal"]))
    out["children"] = children
    return out


def _number_ids(data: dict[str, Any], counter: list[int]) -> None:
    data["id"] = f"n{counter[0]}"
    counter[0] += 1
    for child in data.get("children", []):
        _number_ids(child, counter)
    if "template" in data:
        _number_ids(data["template"], counter)


@st.composite
def specs(draw: Any) -> Spec:
    root = draw(node())
    for key in ("x", "y"):
        root.pop(key, None)
    _number_ids(root, [0])
    data = {"screen": draw(st.sampled_from(["login", "a", "screen_2", "class", "default"])),
            "width": draw(st.integers(200, 1280)), "height": draw(st.integers(200, 900)),
            "colors": dict(PALETTE), "root": root}
    if draw(st.booleans()):
        data["bg"] = draw(COLOR)
    return Spec.model_validate(data)
