"""The element each leaf becomes, shared by the HTML and React targets (same tags, same
attributes, same text runs); each target only escapes and spells them its own way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

INPUT_TYPES = {"text": "text", "email": "email", "password": "password", "search": "search",
               "number": "text", "tel": "tel"}


@dataclass
class El:
    """An element: raw (unescaped) attribute values; True marks a boolean attribute."""

    tag: str
    attrs: dict[str, str | bool] = field(default_factory=dict)
    text: str | None = None
    """Text content (a `data-t` run); None when the element holds none or it is bound."""
    bind: str | None = None
    """Repeat field the text comes from, when the target renders the loop itself."""
    children: list[El] = field(default_factory=list)
    control: bool = False
    """The checkbox/switch control inside a label (styled by `css.control_css`)."""


def bound_text(node: Any, item: dict[str, str] | None) -> str:
    """A text/button label: its own text, or its field of the repeat entry."""
    if node.bind is not None and item is not None:
        return item[node.bind]
    return node.text or ""


def leaf(node: Any, item: dict[str, str] | None, in_loop: bool = False) -> El:
    """The element of a leaf node. `in_loop`: bound texts stay bound (React's `.map`)."""
    kind = node.type
    if kind in ("text", "button"):
        keep_bind = in_loop and node.bind is not None
        run = El("p" if kind == "text" else "span", {"data-t": True},
                 None if keep_bind else bound_text(node, item), node.bind if keep_bind else None)
        if kind == "text":
            return run
        return El("button", {"type": "button"}, children=[run])
    if kind == "input":
        attrs: dict[str, str | bool] = {"type": INPUT_TYPES[node.kind], "placeholder": node.placeholder,
                                        "aria-label": node.placeholder or node.id}
        if node.value:
            attrs["value"] = node.value
        return El("input", attrs)
    if kind in ("checkbox", "switch"):
        box: dict[str, str | bool] = {"type": "checkbox"}
        if kind == "switch":
            box["role"] = "switch"
        if node.checked:
            box["checked"] = True
        return El("label", children=[El("input", box, control=True), El("span", {"data-t": True}, node.label)])
    if kind == "image":
        ref: dict[str, str | bool] = {"data-figma-image": node.ref} if node.ref else {}
        if node.src:
            return El("img", {"src": node.src, "alt": node.alt, **ref})
        if node.alt:
            return El("div", {"role": "img", "aria-label": node.alt, **ref})
        return El("div", {"aria-hidden": "true", **ref})
    if kind == "icon":
        return El("span", {"role": "img", "aria-label": node.name})
    if kind == "divider":
        return El("hr")
    return El("div", {"aria-hidden": "true"})  # spacer
