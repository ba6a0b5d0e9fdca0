"""What a Figma node is for, guessed by rules from layer/component names and shape."""

from __future__ import annotations

import re

from translators.baseline.ids import slug
from translators.figma.nodes import FNode

_WORDS = re.compile(r"[a-z]+")
_ROLE_WORDS = (
    ("checkbox", {"checkbox", "radio"}),
    ("switch", {"switch", "toggle"}),
    ("input", {"input", "textfield", "field", "textbox", "search"}),
    ("button", {"button", "btn", "cta", "fab"}),
)
_INPUT_KINDS = ("password", "email", "search", "number", "tel")
ICON_MAX = 48
TOGGLE_MAX = 64


def words(node: FNode) -> set[str]:
    """Lowercase words of the component name and the layer name."""
    text = f"{node.component or ''} {node.name}"
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()
    return set(_WORDS.findall(text))


def texts(node: FNode) -> list[FNode]:
    """Text descendants in document order."""
    out: list[FNode] = []
    for child in node.children:
        out += [child] if child.kind == "text" else texts(child)
    return out


def role(node: FNode) -> str | None:
    """button | input | checkbox | switch | icon | image | divider | decor | None (structure)."""
    if node.kind == "text":
        return "text"
    if node.kind == "placeholder":
        return "decor"
    if node.glyph is not None and not node.children:
        control = _control(node)  # a ticked box is vector art too
        if control in ("checkbox", "switch"):
            return control
        return "icon" if max(node.w, node.h) <= ICON_MAX else "image"  # big vector art: an illustration
    if node.kind == "line":
        return "divider"
    if node.fill is not None and node.fill.kind == "image" and not node.children:
        return "image"
    if node.kind in ("rect", "ellipse") and min(node.w, node.h) <= 2 and max(node.w, node.h) >= 8:
        return "divider"
    if node.kind == "vector":
        return "icon" if max(node.w, node.h) <= ICON_MAX else "image"
    if node.kind in ("rect", "ellipse"):
        return "decor"
    control = _control(node)
    if control in ("checkbox", "switch") and max(node.w, node.h) <= TOGGLE_MAX:
        return control  # a bigger "Checkbox row" is a row holding one
    if control == "button" and len(texts(node)) == 1:
        return "button"
    if control == "input" and len(texts(node)) == 1:
        return "input"
    if not node.children:
        return "decor"
    return None


def _control(node: FNode) -> str | None:
    found = words(node)
    for name, keys in _ROLE_WORDS:
        if found & keys:
            return name
    return None


def input_kind(node: FNode) -> str:
    found = words(node)
    return next((k for k in _INPUT_KINDS if k in found), "text")


def is_checked(node: FNode) -> bool:
    """Variant `Checked=true` / `State=On`, or a filled box with a mark inside."""
    name = f"{node.component or ''} {node.name}".lower().replace(" ", "")
    if any(k in name for k in ("checked=true", "state=on", "=on", "checked=yes", "selected=true")):
        return True
    if any(k in name for k in ("checked=false", "state=off", "=off", "unchecked")):
        return False
    return node.glyph is not None or bool(node.children)


def icon_name(node: FNode) -> str:
    """'Icon/ArrowLeft' -> 'arrow-left'."""
    base = (node.component or node.name).split("/")[-1]
    name = slug(base).replace("_", "-")
    return name if name and name != "vector" else "shape"
