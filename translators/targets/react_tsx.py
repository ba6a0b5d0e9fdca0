"""Spec -> a React function component in TypeScript (TSX) with typed style objects.

Styles are one `satisfies Record<string, React.CSSProperties>` object, so `tsc` rejects any
misspelled property; repeats become `.map` over a typed constant array. Every string from the
design or the model is emitted as an escaped JS string literal inside `{...}`, never as raw
JSX text, so no content can open a tag or an expression.
"""

from __future__ import annotations

from typing import Any

from translators.spec.models import CONTAINER_TYPES, Repeat, Spec
from translators.targets.css import control_css, node_css
from translators.targets.escape import ident, js_string, pascal

_INPUT_TYPES = {"text": "text", "email": "email", "password": "password", "search": "search",
                "number": "text", "tel": "tel"}


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
        keyed = first.replace(" ", " key={i} ", 1) if not first.startswith("<>") else first
        return (f"{pad}<div {attrs}>\n{pad}  {{{name}.map((item, i) => (\n{'  ' * (depth + 2)}{keyed}\n"
                f"{pad}  ))}}\n{pad}</div>")

    def _leaf(self, node: Any, attrs: str, loop: str | None) -> str:
        kind = node.type
        if kind in ("text", "button"):
            label = f'{loop}[{js_string(node.bind)}]' if node.bind and loop else js_string(node.text or "")
            if kind == "text":
                return f"<p {attrs} data-t=\"\">{{{label}}}</p>"
            return f'<button type="button" {attrs}><span data-t="">{{{label}}}</span></button>'
        if kind == "input":
            value = f" defaultValue={{{js_string(node.value)}}}" if node.value else ""
            return (f'<input type="{_INPUT_TYPES[node.kind]}" {attrs} placeholder={{{js_string(node.placeholder)}}}'
                    f" aria-label={{{js_string(node.placeholder or node.id)}}}{value} />")
        if kind in ("checkbox", "switch"):
            role = ' role="switch"' if kind == "switch" else ""
            checked = " defaultChecked" if node.checked else ""
            return (f'<label {attrs}><input type="checkbox"{role}{checked} style={{{{ {_style_body(control_css(node))} }}}} />'
                    f'<span data-t="">{{{js_string(node.label)}}}</span></label>')
        if kind == "image":
            if node.src:
                return f"<img {attrs} src={{{js_string(node.src)}}} alt={{{js_string(node.alt)}}} />"
            if node.alt:
                return f'<div {attrs} role="img" aria-label={{{js_string(node.alt)}}} />'
            return f'<div {attrs} aria-hidden="true" />'
        if kind == "icon":
            return f'<span {attrs} role="img" aria-label={{{js_string(node.name)}}} />'
        if kind == "divider":
            return f"<hr {attrs} />"
        return f'<div {attrs} aria-hidden="true" />'
