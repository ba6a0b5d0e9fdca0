"""Spec -> one standalone HTML5 document (flexbox CSS in a <style> block).

Every element carries `data-id` (repeat copies: `id-0`, `id-1`, ...); elements that show text
carry `data-t`. The render/fidelity check and the escaping tests read those attributes.
"""

from __future__ import annotations

from typing import Any

from translators.spec.models import CONTAINER_TYPES, Repeat, Spec, TextNode
from translators.targets.css import control_css, node_css
from translators.targets.escape import html_attr, html_text, ident

_INPUT_TYPES = {"text": "text", "email": "email", "password": "password", "search": "search",
                "number": "text", "tel": "tel"}


def render_html(spec: Spec) -> str:
    rules: dict[str, str] = {}
    body = _node(spec, spec.root, None, rules, "", None)
    css = "\n".join(f".n-{cls}{{{decls}}}" for cls, decls in rules.items())
    title = html_text(spec.screen)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{title}</title>\n<style>\n*{{box-sizing:border-box}}\nbody{{margin:0}}\n{css}\n</style>\n"
        f"</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def css_text(css: dict[str, Any]) -> str:
    return ";".join(f"{name}:{value}" for name, value in css.items())


def _node(spec: Spec, node: Any, parent: Any, rules: dict[str, str], suffix: str,
          item: dict[str, str] | None) -> str:
    cls = ident(node.id)
    if cls not in rules:
        rules[cls] = css_text(node_css(spec, node, parent))
        if node.type in ("checkbox", "switch"):
            rules[f"{cls}>input"] = css_text(control_css(node))
    attrs = f'class="n-{cls}" data-id="{html_attr(node.id + suffix)}"'
    kind = node.type
    if isinstance(node, Repeat):
        copies = [_node(spec, node.template, node, rules, f"{suffix}-{i}", entry)
                  for i, entry in enumerate(node.items)]
        return f"<div {attrs}>{''.join(copies)}</div>"
    if kind in CONTAINER_TYPES:
        inner = "".join(_node(spec, c, node, rules, suffix, item) for c in node.children)
        return f"<div {attrs}>{inner}</div>"
    return _leaf(node, attrs, item)


def bound_text(node: TextNode | Any, item: dict[str, str] | None) -> str:
    """A text/button label: its own text, or its field of the repeat entry."""
    if node.bind is not None and item is not None:
        return item[node.bind]
    return node.text or ""


def _leaf(node: Any, attrs: str, item: dict[str, str] | None) -> str:
    kind = node.type
    if kind == "text":
        return f"<p {attrs} data-t>{html_text(bound_text(node, item))}</p>"
    if kind == "button":
        return f'<button type="button" {attrs}><span data-t>{html_text(bound_text(node, item))}</span></button>'
    if kind == "input":
        value = f' value="{html_attr(node.value)}"' if node.value else ""
        label = html_attr(node.placeholder or node.id)
        return (f'<input type="{_INPUT_TYPES[node.kind]}" {attrs} placeholder="{html_attr(node.placeholder)}"'
                f' aria-label="{label}"{value}>')
    if kind in ("checkbox", "switch"):
        role = ' role="switch"' if kind == "switch" else ""
        checked = " checked" if node.checked else ""
        return (f'<label {attrs}><input type="checkbox"{role}{checked}>'
                f"<span data-t>{html_text(node.label)}</span></label>")
    if kind == "image":
        if node.src:
            return f'<img {attrs} src="{html_attr(node.src)}" alt="{html_attr(node.alt)}">'
        if node.alt:
            return f'<div {attrs} role="img" aria-label="{html_attr(node.alt)}"></div>'
        return f'<div {attrs} aria-hidden="true"></div>'
    if kind == "icon":
        return f'<span {attrs} role="img" aria-label="{html_attr(node.name)}"></span>'
    if kind == "divider":
        return f"<hr {attrs}>"
    return f'<div {attrs} aria-hidden="true"></div>'  # spacer
