"""The element each leaf becomes, shared by the HTML and React targets (same tags, same
attributes, same text runs); each target only escapes and spells them its own way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from translators.targets.css import color, px, span_css
from translators.ui_spec.models import Spec

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
    style: dict[str, Any] = field(default_factory=dict)
    """Inline CSS of an element inside a leaf (a styled range, a paragraph)."""


def figma_attrs(node: Any) -> dict[str, str | bool]:
    """Where a node came from in the design: component, variant properties, image fill."""
    out: dict[str, str | bool] = {}
    if node.component:
        out["data-figma-component"] = node.component
    if node.variant:
        out["data-figma-variant"] = ", ".join(f"{k}={v}" for k, v in node.variant.items())
    image = getattr(node, "bg_image", None)
    if image is not None and image.ref:
        out["data-figma-image"] = image.ref
    return out


def bound_text(node: Any, item: dict[str, str] | None) -> str:
    """A text/button label: its own text, or its field of the repeat entry."""
    if node.bind is not None and item is not None:
        return item[node.bind]
    return node.text or ""


def leaf(spec: Spec, node: Any, item: dict[str, str] | None, in_loop: bool = False) -> El:
    """The element of a leaf node. `in_loop`: bound texts stay bound (React's `.map`)."""
    kind = node.type
    if kind in ("text", "button"):
        keep_bind = in_loop and node.bind is not None
        run = El("p" if kind == "text" else "span", {"data-t": True},
                 None if keep_bind else bound_text(node, item), node.bind if keep_bind else None)
        if kind == "text":
            return _rich(spec, node, run)
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
    if kind == "vector":
        return _svg(spec, node)
    if kind == "divider":
        return El("hr")
    return El("div", {"aria-hidden": "true"})  # spacer


def _rich(spec: Spec, node: Any, run: El) -> El:
    """A text with styled ranges, a link or paragraph spacing: its runs as child elements (the
    characters are the same, in order, so every reader sees the same text)."""
    if run.text is None or not (node.spans or node.link or node.paragraph_spacing):
        return run
    holder = run
    if node.link:
        holder = El("a", {"href": node.link}, style=span_css(spec, None, True))
        run.children.append(holder)
    paragraphs = _paragraphs(run.text) if node.paragraph_spacing else [(0, run.text)]
    for i, (start, text) in enumerate(paragraphs):
        target = holder
        if node.paragraph_spacing:
            target = El("span", style={"display": "block", **({"margin-top": px(node.paragraph_spacing)} if i else {})})
            holder.children.append(target)
        target.children += _ranges(spec, node.spans or [], start, text)
    run.text = None
    return run


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """(start, characters) per paragraph; each keeps its line break at its end."""
    out, at = [], 0
    for line in text.splitlines(keepends=True) or [""]:
        out.append((at, line))
        at += len(line)
    return out


def _ranges(spec: Spec, spans: list[Any], start: int, text: str) -> list[El]:
    """Plain and styled runs of text[start:start+len]; a styled run with a link is an anchor."""
    cuts = sorted({0, len(text)} | {min(len(text), max(0, p - start)) for sp in spans for p in (sp.start, sp.end)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        span = next((sp for sp in spans if sp.start <= start + a and start + b <= sp.end), None)
        if span is None:
            out.append(El("span", text=text[a:b]))
        elif span.link:
            out.append(El("a", {"href": span.link}, text=text[a:b], style=span_css(spec, span, True)))
        else:
            out.append(El("span", text=text[a:b], style=span_css(spec, span, False)))
    return out


def _svg(spec: Spec, node: Any) -> El:
    w, h = (v if isinstance(v, int) else 24 for v in (node.w, node.h))
    paths = [El("path", {"d": p.d, "fill": color(spec, p.fill) or "#000000", "fill-rule": p.rule,
                         **({"transform": f"translate({p.x:g} {p.y:g})"} if p.x or p.y else {})}) for p in node.paths]
    return El("svg", {"viewBox": f"0 0 {w} {h}", "role": "img", "aria-label": node.alt}, children=paths)
