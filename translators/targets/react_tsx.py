"""Spec -> a React function component in TypeScript (TSX) with typed style objects.

Styles are one `satisfies Record<string, React.CSSProperties>` object, so `tsc` rejects any
misspelled property; repeats become `.map` over a typed constant array. Every string from the
design or the model is emitted as an escaped JS string literal inside `{...}`, never as raw
JSX text, so no content can open a tag or an expression.
"""

from __future__ import annotations

from typing import Any

from translators.targets.css import control_css, node_css
from translators.targets.elements import El, figma_attrs, leaf
from translators.targets.escape import ident, js_string, pascal
from translators.ui_spec.models import CONTAINER_TYPES, Repeat, Spec


def component_name(spec: Spec) -> str:
    return f"{pascal(spec.screen)}Screen"


def render_tsx(spec: Spec) -> str:
    ctx = _Ctx(spec)
    body = ctx.node(spec.root, None, None, 2)
    styles = "\n".join(f"  {key}: {{ {_style_body(css)} }}," for key, css in ctx.styles.items())
    data = "\n".join(ctx.data)
    return (
        'import * as React from "react";\n\n'
        f"const s = {{\n{styles}\n}} satisfies Record<string, React.CSSProperties>;\n\n"
        f"{data}{chr(10) if data else ''}"
        f"export default function {component_name(spec)}(): React.JSX.Element {{\n"
        f"  return (\n{body}\n  );\n}}\n"
    )


def _camel(name: str) -> str:
    if name.startswith("-webkit-"):
        name = "Webkit-" + name[len("-webkit-"):]
    head, *rest = name.split("-")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _style_body(css: dict[str, Any]) -> str:
    parts = []
    for name, value in css.items():
        literal = js_string(value) if isinstance(value, str) else repr(value)
        parts.append(f"{_camel(name)}: {literal}")
    return ", ".join(parts)


class _Ctx:
    def __init__(self, spec: Spec):
        self.spec = spec
        self.styles: dict[str, dict[str, Any]] = {}
        self.data: list[str] = []

    def node(self, node: Any, parent: Any, loop: str | None, depth: int) -> str:
        key = ident(node.id)
        self.styles.setdefault(key, node_css(self.spec, node, parent))
        pad = "  " * depth
        data_id = f'data-id={{{js_string(node.id + "-")} + i}}' if loop else f"data-id={js_string(node.id)}"
        attrs = f"{data_id} style={{s.{key}}}"
        attrs += "".join(f" {k}={{{js_string(str(v))}}}" for k, v in figma_attrs(node).items())
        if isinstance(node, Repeat):
            return self._repeat(node, attrs, depth)
        if node.type in CONTAINER_TYPES:
            kids = "\n".join(self.node(c, node, loop, depth + 1) for c in node.children)
            return f"{pad}<div {attrs}>\n{kids}\n{pad}</div>" if kids else f"{pad}<div {attrs} />"
        return pad + self._leaf(node, attrs, loop)

    def _repeat(self, node: Repeat, attrs: str, depth: int) -> str:
        name = f"{ident(node.id)}Items"
        rows = ", ".join("{ " + ", ".join(f"{js_string(k)}: {js_string(v)}" for k, v in item.items()) + " }"
                         for item in node.items)
        self.data.append(f"const {name} = [{rows}] as const;\n")
        pad = "  " * depth
        inner = self.node(node.template, node, "item", depth + 2)
        first = inner.lstrip()
        keyed = first.replace(" ", " key={i} ", 1)  # React wants a key on each mapped element
        return (f"{pad}<div {attrs}>\n{pad}  {{{name}.map((item, i) => (\n{'  ' * (depth + 2)}{keyed}\n"
                f"{pad}  ))}}\n{pad}</div>")

    def _leaf(self, node: Any, attrs: str, loop: str | None) -> str:
        return _jsx(leaf(self.spec, node, None, in_loop=loop is not None), attrs, _style_body(control_css(node)))


_REACT_NAMES = {"checked": "defaultChecked", "value": "defaultValue", "fill-rule": "fillRule"}


def _jsx(el: El, lead: str, control_style: str) -> str:
    """JSX for an element; every string is a JS string literal inside {...}."""
    parts = [lead] if lead else []
    for key, value in el.attrs.items():
        name = _REACT_NAMES.get(key, key)
        if value is True:
            parts.append(name if name == "defaultChecked" else f'{name}=""')
        else:
            parts.append(f"{name}={{{js_string(str(value))}}}")
    if el.control:
        parts.append(f"style={{{{ {control_style} }}}}")
    elif el.style:
        parts.append(f"style={{{{ {_style_body(el.style)} }}}}")
    attrs = (" " + " ".join(parts)) if parts else ""
    inner = f"{{{js_string(el.text)}}}" if el.text is not None else ""
    if el.bind is not None:
        inner = f"{{item[{js_string(el.bind)}]}}"
    inner += "".join(_jsx(child, "", control_style) for child in el.children)
    return f"<{el.tag}{attrs}>{inner}</{el.tag}>" if inner else f"<{el.tag}{attrs} />"
