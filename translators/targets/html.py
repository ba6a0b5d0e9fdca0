"""Spec -> one standalone HTML5 document (flexbox CSS in a <style> block).

Every element carries `data-id` (repeat copies: `id-0`, `id-1`, ...); elements that show text
carry `data-t`. The render/fidelity check and the escaping tests read those attributes.
"""

from __future__ import annotations

from typing import Any

from translators.targets.css import control_css, node_css
from translators.targets.elements import El, figma_attrs, leaf
from translators.targets.escape import html_attr, html_text, ident
from translators.ui_spec.models import CONTAINER_TYPES, Repeat, Spec

_VOID = frozenset({"input", "img", "hr"})
_EMPTY = frozenset({"path"})
"""SVG elements written self-closed."""


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
    attrs += "".join(f' {k}="{html_attr(str(v))}"' for k, v in figma_attrs(node).items())
    kind = node.type
    if isinstance(node, Repeat):
        copies = [_node(spec, node.template, node, rules, f"{suffix}-{i}", entry)
                  for i, entry in enumerate(node.items)]
        return f"<div {attrs}>{''.join(copies)}</div>"
    if kind in CONTAINER_TYPES:
        inner = "".join(_node(spec, c, node, rules, suffix, item) for c in node.children)
        return f"<div {attrs}>{inner}</div>"
    return _render(leaf(spec, node, item), " " + attrs)


def _render(el: El, lead: str = "") -> str:
    attrs = lead + "".join(f" {k}" if v is True else f' {k}="{html_attr(str(v))}"' for k, v in el.attrs.items())
    if el.style:
        attrs += f' style="{html_attr(css_text(el.style))}"'
    if el.tag in _VOID:
        return f"<{el.tag}{attrs}>"
    if el.tag in _EMPTY:
        return f"<{el.tag}{attrs}/>"
    inner = html_text(el.text) if el.text is not None else ""
    inner += "".join(_render(child) for child in el.children)
    return f"<{el.tag}{attrs}>{inner}</{el.tag}>"
